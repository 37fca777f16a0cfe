// The document as JSON or YAML text, for the code tab. (server/dags/serialize.ts does the same on
// the server, but it imports the validator and with it the operators' executors, which cannot be
// bundled for the browser; the validation itself runs on the server, see use-validation.ts.)
import { parseDocument, stringify } from "yaml";

export type TextFormat = "json" | "yaml";

export function documentText(document: unknown, format: TextFormat): string {
  // No anchors for shared objects and no folding: the text is read and edited by people.
  return format === "json"
    ? `${JSON.stringify(document, null, 2)}\n`
    : stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/** Parses text as the format says; syntax errors come with their line and column. */
export function parseText(
  text: string,
  format: TextFormat,
): { ok: true; value: unknown } | { ok: false; errors: string[] } {
  if (text.trim() === "") return { ok: false, errors: ["The document is empty."] };
  if (format === "json") {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (error) {
      return { ok: false, errors: [`JSON syntax error: ${(error as Error).message}`] };
    }
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, logLevel: "error" });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((error) => {
        const at = error.linePos?.[0];
        const reason = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
        return `YAML syntax error${at ? ` at line ${at.line}, column ${at.col}` : ""}: ${reason}`;
      }),
    };
  }
  // maxAliasCount bounds alias expansion, so a few lines of aliases cannot expand to gigabytes.
  return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) };
}
