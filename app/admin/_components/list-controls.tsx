"use client";
// Searching, sorting and paging for the console's long lists (workspaces, users, the audit log).
// The server sorts and cuts the pages, so every page is a slice of one order, however many rows
// there are.
import { useDeferredValue, useId, useState } from "react";
import { Button } from "@/app/_components/button";
import { control } from "@/app/_components/styles";

export type Direction = "asc" | "desc";

/**
 * A console list's state: the search as typed, the settled search the query follows (typing stays
 * responsive), the order and the page. Changing the search or the order goes back to page 1.
 * `props` spread onto SearchField and SortControls; `input` goes to the list's procedure.
 */
export function useListState<Sort extends string>(initial: { sort: Sort; direction: Direction }) {
  const [search, setSearch] = useState("");
  const [order, setOrder] = useState(initial);
  const [page, setPage] = useState(1);
  const settled = useDeferredValue(search.trim());
  return {
    /** The settled search, "" when none. */
    search: settled,
    page,
    setPage,
    input: { search: settled || undefined, ...order, page },
    searchProps: {
      value: search,
      onChange: (value: string) => {
        setSearch(value);
        setPage(1);
      },
    },
    sortProps: {
      sort: order.sort,
      direction: order.direction,
      onChange: (sort: Sort, direction: Direction) => {
        setOrder({ sort, direction });
        setPage(1);
      },
    },
  };
}

export function SortControls<Sort extends string>({
  sorts,
  sort,
  direction,
  onChange,
}: {
  /** Each sort key with its label. */
  sorts: Record<Sort, string>;
  sort: Sort;
  direction: Direction;
  onChange: (sort: Sort, direction: Direction) => void;
}) {
  const sortId = useId();
  const directionId = useId();
  return (
    <div className="flex items-end gap-2">
      <div>
        <label htmlFor={sortId} className="block text-sm font-medium text-slate-800">
          Sort by
        </label>
        <select
          id={sortId}
          value={sort}
          onChange={(event) => onChange(event.target.value as Sort, direction)}
          className={`${control} mt-1.5 block py-2`}
        >
          {(Object.entries(sorts) as [Sort, string][]).map(([key, label]) => (
            <option key={key} value={key}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor={directionId} className="block text-sm font-medium text-slate-800">
          Order
        </label>
        <select
          id={directionId}
          value={direction}
          onChange={(event) => onChange(sort, event.target.value as Direction)}
          className={`${control} mt-1.5 block py-2`}
        >
          <option value="asc">Ascending</option>
          <option value="desc">Descending</option>
        </select>
      </div>
    </div>
  );
}

export function Pager({
  page,
  pageSize,
  total,
  noun,
  onPage,
}: {
  page: number;
  pageSize: number;
  total: number;
  noun: string;
  onPage: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <nav aria-label={`Pages of ${noun}`} className="mt-3 flex items-center justify-between gap-4 text-sm">
      <p className="text-slate-600">
        {first}–{last} of {total} {noun} · page {page} of {pages}
      </p>
      <div className="flex gap-2">
        <Button variant="secondary" disabled={page <= 1} onClick={() => onPage(page - 1)}>
          Previous
        </Button>
        <Button variant="secondary" disabled={page >= pages} onClick={() => onPage(page + 1)}>
          Next
        </Button>
      </div>
    </nav>
  );
}

export function SearchField({
  value,
  onChange,
  placeholder,
  className = "w-full max-w-sm",
}: {
  value: string;
  onChange: (value: string) => void;
  placeholder: string;
  className?: string;
}) {
  const searchId = useId();
  return (
    <div className={className}>
      <label htmlFor={searchId} className="block text-sm font-medium text-slate-800">
        Search
      </label>
      <input
        id={searchId}
        type="search"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        placeholder={placeholder}
        className={`${control} mt-1.5 block w-full py-2`}
      />
    </div>
  );
}
