// An attempt's log as entries: each written line starts with its time and level
// (server/engine/logs.ts); the lines after it that do not (the frames of a stack, a printed value
// over several lines) belong to it. Counted and searched as one.
const ENTRY_START = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z (INFO|WARN|ERROR) |^… log cut/;

export function logEntries(text: string): string[] {
  const entries: string[] = [];
  if (text === "") return entries;
  for (const line of text.replace(/\n$/, "").split("\n")) {
    if (entries.length === 0 || ENTRY_START.test(line)) entries.push(line);
    else entries[entries.length - 1] += `\n${line}`;
  }
  return entries;
}
