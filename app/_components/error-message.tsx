"use client";
import { Button } from "./button";
import { HomeLink, StatusMessage } from "./status-page";

/** What error.tsx shows: the failure in a sentence, its reference for support, and ways on. */
export function ErrorMessage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <StatusMessage
      code="Error"
      title="Something went wrong"
      actions={
        <>
          <Button onClick={reset}>Try again</Button>
          <HomeLink />
        </>
      }
    >
      <p>
        This page could not be shown. Trying again often helps; if it keeps failing, tell your administrator.
      </p>
      {error.digest && (
        <p className="mt-2 text-xs text-slate-500">
          Reference <code className="font-mono">{error.digest}</code>
        </p>
      )}
    </StatusMessage>
  );
}
