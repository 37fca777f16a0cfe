"use client";
import type { ReactNode } from "react";
import { Alert } from "./alert";
import { errorMessage } from "./errors";

/** Renders a query's data, or its loading or error state. */
export function Loaded<T>({
  query,
  label,
  children,
}: {
  query: { data: T | undefined; error: unknown };
  /** What is loading, e.g. "members". */
  label: string;
  children: (data: T) => ReactNode;
}) {
  if (query.data !== undefined) return children(query.data);
  if (query.error) {
    return (
      <Alert tone="error" title={`Could not load ${label}`}>
        {errorMessage(query.error)}
      </Alert>
    );
  }
  return (
    <p role="status" className="py-6 text-sm text-slate-500">
      Loading {label}…
    </p>
  );
}
