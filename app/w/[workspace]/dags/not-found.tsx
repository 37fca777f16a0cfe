import type { Metadata } from "next";
import { NotFoundInWorkspace } from "../_components/not-found-in-workspace";

export const metadata: Metadata = { title: "DAG not found" };

/** A DAG this workspace does not have (dags/[dagId]/layout.tsx): 404. */
export default function DagNotFound() {
  return <NotFoundInWorkspace what="DAG" />;
}
