import type { Metadata } from "next";
import { editorCatalog } from "../_editor/catalog";
import { EditorPage } from "../_editor/editor-page";

export const metadata: Metadata = { title: "New DAG" };

export default function NewDagPage() {
  return <EditorPage catalog={editorCatalog()} />;
}
