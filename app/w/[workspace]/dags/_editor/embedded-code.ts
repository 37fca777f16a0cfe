// Tasks' code highlighted in its own language inside the YAML document: a python task's `source`
// as Python, a code task's as JavaScript, a sql or sql_sensor task's `statement` as SQL. The YAML
// parser is wrapped (parseMixed) so that such a field's block scalar (`source: |`) is parsed again
// by the task's language, each line without the block's indentation (Python cares about it).
import { javascriptLanguage } from "@codemirror/lang-javascript";
import { pythonLanguage } from "@codemirror/lang-python";
import { PostgreSQL } from "@codemirror/lang-sql";
import { yamlLanguage } from "@codemirror/lang-yaml";
import { LanguageSupport } from "@codemirror/language";
import type { Input, Parser, SyntaxNode } from "@lezer/common";
import { parseMixed } from "@lezer/common";

/** The language of a task field's text, by operator and field name. */
const embedded: Record<string, Record<string, Parser>> = {
  python: { source: pythonLanguage.parser },
  code: { source: javascriptLanguage.parser },
  sql: { statement: PostgreSQL.language.parser },
  sql_sensor: { statement: PostgreSQL.language.parser },
};

const read = (input: Input, node: SyntaxNode | null | undefined) =>
  node ? input.read(node.from, node.to).trim() : undefined;

/** The key of a Pair node, as text. */
const keyOf = (pair: SyntaxNode, input: Input) => read(input, pair.getChild("Key"));

/** The `operator` of the task mapping that holds `config` mapping `configMap`. */
function operatorOf(configMap: SyntaxNode, input: Input): string | undefined {
  const configPair = configMap.parent;
  if (configPair?.name !== "Pair" || keyOf(configPair, input) !== "config") return undefined;
  const task = configPair.parent;
  for (const pair of task?.getChildren("Pair") ?? []) {
    if (keyOf(pair, input) !== "operator") continue;
    const value = pair.lastChild;
    return value && value.name !== "Key" ? read(input, value)?.replace(/^["']|["']$/g, "") : undefined;
  }
  return undefined;
}

/** Each line of a block scalar's content from its indentation on, newline included. */
function linesWithoutIndent(node: SyntaxNode, input: Input) {
  const text = input.read(node.from, node.to);
  const lines = text.split("\n");
  const indent = Math.min(
    ...lines.filter((line) => line.trim() !== "").map((line) => line.length - line.trimStart().length),
  );
  const ranges: Array<{ from: number; to: number }> = [];
  let at = node.from;
  for (const line of lines) {
    const from = at + Math.min(indent, line.length);
    const to = Math.min(node.to, at + line.length + 1);
    if (to > from) ranges.push({ from, to });
    at += line.length + 1;
  }
  return ranges;
}

const dagYamlLanguage = yamlLanguage.configure({
  wrap: parseMixed((ref, input) => {
    if (ref.name !== "BlockLiteralContent") return null;
    const pair = ref.node.parent?.parent;
    const configMap = pair?.parent;
    if (pair?.name !== "Pair" || !configMap) return null;
    const field = keyOf(pair, input);
    const operator = operatorOf(configMap, input);
    const parser = operator && field ? embedded[operator]?.[field] : undefined;
    if (!parser) return null;
    const overlay = linesWithoutIndent(ref.node, input);
    return overlay.length > 0 ? { parser, overlay } : null;
  }),
});

/** YAML for DAG documents, with tasks' code highlighted in its language. */
export function dagYaml() {
  return new LanguageSupport(dagYamlLanguage);
}
