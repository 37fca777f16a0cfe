// Something inside a workspace that does not exist (an unknown address, DAG or run): said inside
// the workspace's frame, with HTTP 404.
import type { Metadata } from "next";
import { NotFoundInWorkspace } from "./_components/not-found-in-workspace";

export const metadata: Metadata = { title: "Not found" };

export default function NotFound() {
  return <NotFoundInWorkspace what="page" />;
}
