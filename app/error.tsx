"use client";
// A page that failed while rendering: a branded message with a way to try again, instead of
// Next's bare error screen. (Inside a workspace the workspace's own error.tsx keeps its frame.)
import { ErrorMessage } from "./_components/error-message";
import { StandalonePage } from "./_components/status-page";

export default function ErrorPage({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <StandalonePage>
      <ErrorMessage error={error} reset={reset} />
    </StandalonePage>
  );
}
