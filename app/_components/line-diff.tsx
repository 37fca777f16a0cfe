// A line-level diff of two values, as code review tools show one: text values (a task's `source`,
// a SQL statement) compared line by line as written, anything else as indented JSON. Long runs of
// unchanged lines fold to a few lines of context around each change.
import { diffLines } from "diff";
import { Fragment } from "react";

const CONTEXT_LINES = 3;

type Line = { kind: "same" | "added" | "removed"; text: string; before?: number; after?: number };
type Block = Line[] | { folded: number };

/** The text a value is compared as: strings as written, the rest as JSON, nothing as "". */
export function diffText(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value.endsWith("\n") ? value : `${value}\n`;
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function diffedLines(before: string, after: string): Line[] {
  const lines: Line[] = [];
  let beforeNumber = 1;
  let afterNumber = 1;
  for (const change of diffLines(before, after)) {
    const texts = change.value.replace(/\n$/, "").split("\n");
    for (const text of texts) {
      if (change.added) lines.push({ kind: "added", text, after: afterNumber++ });
      else if (change.removed) lines.push({ kind: "removed", text, before: beforeNumber++ });
      else lines.push({ kind: "same", text, before: beforeNumber++, after: afterNumber++ });
    }
  }
  return lines;
}

/** Lines near a change are kept; other runs of unchanged lines fold into a count. */
function fold(lines: Line[]): Block[] {
  const near = new Array<boolean>(lines.length).fill(false);
  lines.forEach((line, i) => {
    if (line.kind === "same") return;
    for (let j = Math.max(0, i - CONTEXT_LINES); j <= Math.min(lines.length - 1, i + CONTEXT_LINES); j++)
      near[j] = true;
  });
  const blocks: Block[] = [];
  let shown: Line[] = [];
  let hidden = 0;
  lines.forEach((line, i) => {
    if (near[i]) {
      if (hidden > 0) blocks.push({ folded: hidden });
      hidden = 0;
      shown.push(line);
    } else {
      if (shown.length > 0) blocks.push(shown);
      shown = [];
      hidden++;
    }
  });
  if (shown.length > 0) blocks.push(shown);
  if (hidden > 0) blocks.push({ folded: hidden });
  return blocks;
}

const rowTone = {
  same: "text-slate-700",
  added: "bg-emerald-50 text-emerald-900",
  removed: "bg-red-50 text-red-900",
} as const;
const sign = { same: " ", added: "+", removed: "−" } as const;
const spoken = { same: "", added: "Added: ", removed: "Removed: " } as const;

export function LineDiff({ label, before, after }: { label: string; before: unknown; after: unknown }) {
  const blocks = fold(diffedLines(diffText(before), diffText(after)));
  return (
    // The box scrolls sideways for long lines; the page around it never grows wider.
    <div className="max-h-96 min-w-0 overflow-auto rounded border border-slate-200 bg-white">
      <table aria-label={label} className="w-full border-collapse font-mono text-xs leading-5">
        <tbody>
          {blocks.map((block, b) =>
            "folded" in block ? (
              // biome-ignore lint/suspicious/noArrayIndexKey: blocks have no identity beyond their place
              <tr key={b} className="bg-slate-50 text-slate-500">
                <td colSpan={4} className="px-2 italic">
                  ⋯ {block.folded} unchanged line{block.folded === 1 ? "" : "s"}
                </td>
              </tr>
            ) : (
              // biome-ignore lint/suspicious/noArrayIndexKey: as above
              <Fragment key={b}>
                {block.map((line) => (
                  <tr
                    key={`${line.kind}:${line.before ?? ""}:${line.after ?? ""}`}
                    className={rowTone[line.kind]}
                  >
                    <td className="w-8 select-none px-1 text-right text-slate-400">{line.before ?? ""}</td>
                    <td className="w-8 select-none px-1 text-right text-slate-400">{line.after ?? ""}</td>
                    <td aria-hidden="true" className="w-4 select-none text-center">
                      {sign[line.kind]}
                    </td>
                    <td className="whitespace-pre pr-3">
                      <span className="sr-only">{spoken[line.kind]}</span>
                      {line.text}
                    </td>
                  </tr>
                ))}
              </Fragment>
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}
