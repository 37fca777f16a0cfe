// A fast read of YAML DAG documents, beside the `yaml` library, because that library builds a full
// document model (nodes, ranges, comments) before it hands out data: for a 10,000-task DAG it
// spent ten times as long as JSON.parse and the validation together. js-yaml goes straight to
// data, several times faster.
//
// It only ever reads plain documents, and reads them as the `yaml` library does (YAML 1.2's core
// schema: its regular expressions for null, booleans, integers and floats, copied below). Anything
// else — an anchor, a tag it does not know, a syntax error, deep nesting — makes it answer
// undefined, and the `yaml` library parses the text instead: its alias bound (maxAliasCount) and
// its error messages stay the only ones. test/unit/dags.serialize.test.ts holds the two to the
// same values over generated documents.
import { FAILSAFE_SCHEMA, load, Type } from "js-yaml";

// Every plain scalar is offered to each implicit type in turn, and most are names (ids,
// operators): a look at the first character turns them away before any regular expression runs.
const startsNumber = (text: string) => {
  const c = text.charCodeAt(0);
  return (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46; // 0-9 - + .
};

const intPattern = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;
const floatPatterns = [
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];

/** YAML 1.2's core schema, value for value as the `yaml` library resolves it (its core/*.js). */
const coreSchema = FAILSAFE_SCHEMA.extend({
  implicit: [
    new Type("tag:yaml.org,2002:null", {
      kind: "scalar",
      resolve: (text: string) => text === "" || text === "~" || /^(?:[Nn]ull|NULL)$/.test(text),
      construct: () => null,
    }),
    new Type("tag:yaml.org,2002:bool", {
      kind: "scalar",
      resolve: (text: string) => text.length <= 5 && /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(text),
      construct: (text: string) => text[0] === "t" || text[0] === "T",
    }),
    new Type("tag:yaml.org,2002:int", {
      kind: "scalar",
      resolve: (text: string) => startsNumber(text) && intPattern.test(text),
      construct: (text: string) =>
        text.startsWith("0o")
          ? parseInt(text.slice(2), 8)
          : text.startsWith("0x")
            ? parseInt(text.slice(2), 16)
            : parseInt(text, 10),
    }),
    new Type("tag:yaml.org,2002:float", {
      kind: "scalar",
      resolve: (text: string) => startsNumber(text) && floatPatterns.some((pattern) => pattern.test(text)),
      construct: (text: string) => {
        if (/inf$/i.test(text)) return text[0] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
        return /nan$/i.test(text) ? Number.NaN : parseFloat(text);
      },
    }),
  ],
});

/**
 * Keys the two libraries turn into different strings: a null key (`~:`, `: x`; `yaml` says "",
 * js-yaml "null"), and collection keys (`[a, b]: x`, `? …`). A cheap scan, as false alarms only
 * cost the slower parse.
 */
const oddKey = /(?:^|[\s{,])(?:~|[Nn]ull|NULL)?:(?:\s|$)|[\]}]:(?:\s|$)|^[\s-]*\?(?:\s|$)/m;

/**
 * An anchor (`&name`), which is what aliases need: such documents go to the `yaml` library, whose
 * maxAliasCount keeps a few lines of aliases from expanding to gigabytes. An anchor follows a line
 * start, a space or a flow indicator; a false alarm (`" &x"` inside quotes) only costs speed.
 */
const anchor = /(?:^|[\s[{,])&[^\s,[\]{}]/m;

/**
 * The data of a YAML document, or undefined when the `yaml` library should read it instead
 * (it may be valid all the same; only that library decides, and words, what is wrong).
 */
export function loadYamlFast(text: string): { document: unknown } | undefined {
  if (oddKey.test(text) || (text.includes("&") && anchor.test(text))) return undefined;
  try {
    const document = load(text, { schema: coreSchema });
    return { document };
  } catch {
    return undefined;
  }
}
