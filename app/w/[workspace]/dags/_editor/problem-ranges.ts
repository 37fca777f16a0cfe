// Where in the text a problem is: the server names problems by path (`tasks[1].config.url`), the
// code editor underlines them. Both formats are read with `yaml` (JSON is YAML), which keeps each
// node's offsets. A path that goes further than the text (a missing field) lands on the nearest
// thing that is there: the key of the mapping that should hold it.
import { isMap, isPair, isScalar, isSeq, type Node, parseDocument, type Range } from "yaml";

export interface TextRange {
  from: number;
  to: number;
}

/** `tasks[1].config.url` → ["tasks", 1, "config", "url"]; "" → []. */
export function pathSegments(path: string): Array<string | number> {
  const segments: Array<string | number> = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    segments.push(match[2] !== undefined ? Number(match[2]) : match[1]!);
  }
  return segments;
}

const lineEnd = (text: string, from: number) => {
  const end = text.indexOf("\n", from);
  return end === -1 ? text.length : end;
};

/** The range of a node's first line (a whole task or mapping would underline half the text). */
function firstLine(text: string, range: Range | null | undefined): TextRange | undefined {
  if (!range) return undefined;
  const [from, valueEnd] = range;
  return { from, to: Math.max(from + 1, Math.min(valueEnd, lineEnd(text, from))) };
}

/**
 * The ranges of problems' paths in `text`, in their order; undefined for text that does not parse
 * (its syntax errors are shown instead).
 */
export function problemRanges(text: string, paths: readonly string[]): TextRange[] | undefined {
  const document = parseDocument(text, { keepSourceTokens: false });
  if (document.errors.length > 0) return undefined;
  const whole: TextRange = { from: 0, to: Math.max(1, lineEnd(text, 0)) };
  return paths.map((path) => {
    let node: Node | null | undefined = document.contents as Node | null;
    // The best place so far: the key naming the current node (for collections), or the node.
    let best: TextRange | undefined = isScalar(node) ? firstLine(text, node.range) : whole;
    for (const segment of pathSegments(path)) {
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && item.key.value === segment,
        );
        if (!pair) break;
        const key = pair.key as Node;
        node = pair.value as Node | null;
        best = isScalar(node) ? firstLine(text, node.range) : firstLine(text, key.range);
      } else if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment] as Node | undefined;
        if (!item) break;
        node = item;
        best = firstLine(text, item.range) ?? best;
      } else break;
    }
    return best ?? whole;
  });
}
