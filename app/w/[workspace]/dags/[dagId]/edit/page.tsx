import type { Metadata } from "next";
import { editorCatalog } from "../../_editor/catalog";
import { EditorPage } from "../../_editor/editor-page";

interface Props {
  params: Promise<{ dagId: string }>;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Edit ${(await params).dagId}` };
}

export default async function EditDagPage({ params }: Props) {
  const { dagId } = await params;
  return <EditorPage catalog={editorCatalog()} dagId={dagId} />;
}
