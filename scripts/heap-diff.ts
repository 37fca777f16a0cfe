// `npx tsx scripts/heap-diff.ts <earlier.heapsnapshot> <later.heapsnapshot>`: what a process's
// heap gained between two snapshots, by constructor — the first question about a process whose
// memory grows. V8 collects garbage before it writes a snapshot, so both hold only live objects,
// unlike the heap-in-use gauge, which counts garbage not collected yet.
// Snapshots of the soak's web: BENCH_SOAK_WEB_NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2, then
// `kill -USR2 <pid>` (the soak prints its processes' ids); the file lands in the working directory.
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Objects by kind: count and bytes of their own (not what they retain). */
function byKind(file: string): Map<string, { count: number; bytes: number }> {
  const { snapshot, nodes, strings } = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const fields = snapshot.meta.node_fields;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const types = snapshot.meta.node_types[0];
  const kinds = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]!]!;
    // Objects and closures by constructor or function name; strings, code and the rest by type.
    const kind =
      type === "object" || type === "closure"
        ? `${type} ${strings[nodes[i + nameAt]!]!.slice(0, 80)}`
        : `(${type})`;
    const entry = kinds.get(kind) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[i + sizeAt]!;
    kinds.set(kind, entry);
  }
  return kinds;
}

const [earlierFile, laterFile] = process.argv.slice(2);
if (!earlierFile || !laterFile) {
  console.error("usage: tsx scripts/heap-diff.ts <earlier.heapsnapshot> <later.heapsnapshot>");
  process.exit(2);
}
const earlier = byKind(earlierFile);
const later = byKind(laterFile);
const total = (kinds: typeof earlier) => [...kinds.values()].reduce((sum, k) => sum + k.bytes, 0);
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
console.log(`live objects: ${mb(total(earlier))} MB → ${mb(total(later))} MB`);
const rows = [...new Set([...earlier.keys(), ...later.keys()])].map((kind) => {
  const before = earlier.get(kind) ?? { count: 0, bytes: 0 };
  const after = later.get(kind) ?? { count: 0, bytes: 0 };
  return {
    kind,
    count: after.count,
    added: after.count - before.count,
    kb: (after.bytes - before.bytes) / 1024,
  };
});
console.log("grew most (bytes of their own):");
console.table(
  rows
    .sort((a, b) => b.kb - a.kb)
    .slice(0, 25)
    .map((r) => ({ ...r, kb: Math.round(r.kb) })),
);
