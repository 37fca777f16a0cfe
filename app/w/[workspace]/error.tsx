"use client";
// A workspace page that failed while rendering: the message inside the workspace's frame.
import { ErrorMessage } from "@/app/_components/error-message";

export default function WorkspaceError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return <ErrorMessage error={error} reset={reset} />;
}
