import { notFound } from "next/navigation";

/** Any other address inside a workspace: the workspace's not-found page, with HTTP 404. */
export default function MissingPage() {
  notFound();
}
