// Server side: what the editor needs to know about operators and task settings, as plain data.
import { triggerRules } from "@/server/dags/definition";
import { listOperators } from "@/server/operators/catalog";
import type { EditorCatalog } from "./dag-editor";

export function editorCatalog(): EditorCatalog {
  return { operators: listOperators(), triggerRules };
}
