"use client";
// Lists arrive a page at a time (`{ items, nextCursor }`, see docs/api.md). usePages reads the
// first page, and each "Load more" adds a query for the page after the last one's cursor, so
// invalidating the list's queries refreshes every page shown.
import { type UseQueryOptions, useQueries } from "@tanstack/react-query";
import { useState } from "react";

export interface Pages<T> {
  /** The items of the pages read so far (undefined until the first arrives). */
  data: T[] | undefined;
  /** The first page's error (the list could not be shown). */
  error: unknown;
  /** The last page's error, once a later page failed. */
  moreError: unknown;
  /** Whether there is a page after the last one read. */
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
}

type PageData = { items: unknown[]; nextCursor: string | null };

export function usePages<D extends PageData, E, K extends readonly unknown[]>(
  page: (cursor: string | undefined) => UseQueryOptions<D, E, D, K>,
): Pages<D["items"][number]> {
  // Cursors belong to one list: another filter (another first page) starts from its first page.
  const list = JSON.stringify(page(undefined).queryKey);
  const [read, setRead] = useState<{ list: string; cursors: (string | undefined)[] }>({
    list,
    cursors: [undefined],
  });
  const cursors = read.list === list ? read.cursors : [undefined];
  const pages = useQueries({ queries: cursors.map((cursor) => page(cursor)) });
  const first = pages[0]!;
  const last = pages.at(-1)!;
  const next = last.data?.nextCursor;
  return {
    data: first.data === undefined ? undefined : pages.flatMap((p) => (p.data as D | undefined)?.items ?? []),
    error: first.error,
    moreError: pages.length > 1 ? last.error : null,
    hasMore: Boolean(next),
    loadingMore: pages.length > 1 && last.isPending,
    loadMore: () => {
      if (next) setRead({ list, cursors: [...cursors, next] });
    },
  };
}
