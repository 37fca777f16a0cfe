import type { Metadata } from "next";
import { editorCatalog } from "../_editor/catalog";
import { EditorPage } from "../_editor/editor-page";
import { findTemplate } from "../_templates/templates";

export const metadata: Metadata = { title: "New DAG" };

/** A new DAG: empty, or a template's (`?template=<key>`, from the empty workspace's gallery). */
export default async function NewDagPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { template } = await searchParams;
  const picked = findTemplate(typeof template === "string" ? template : undefined);
  return (
    <EditorPage
      catalog={editorCatalog()}
      template={picked && { title: picked.title, document: picked.document }}
    />
  );
}
