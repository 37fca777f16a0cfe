"use client";
// The "Load more" button under a list read with usePages, and the error of a page that failed.
import type { Pages } from "@/app/_lib/pages";
import { Alert } from "./alert";
import { Button } from "./button";
import { errorMessage } from "./errors";

export function LoadMore({ pages, noun }: { pages: Pages<unknown>; noun: string }) {
  return (
    <>
      {pages.moreError ? (
        <Alert tone="error" title={`Could not load more ${noun}`} className="mt-4">
          {errorMessage(pages.moreError)}
        </Alert>
      ) : null}
      {(pages.hasMore || pages.loadingMore) && (
        <div className="mt-4 flex justify-center">
          <Button
            variant="secondary"
            pending={pages.loadingMore}
            pendingLabel="Loading…"
            onClick={pages.loadMore}
          >
            Load more
          </Button>
        </div>
      )}
    </>
  );
}
