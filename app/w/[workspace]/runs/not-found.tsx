import type { Metadata } from "next";
import { NotFoundInWorkspace } from "../_components/not-found-in-workspace";

export const metadata: Metadata = { title: "Run not found" };

/** A run this workspace does not have (runs/[runId]/layout.tsx): 404. */
export default function RunNotFound() {
  return <NotFoundInWorkspace what="run" />;
}
