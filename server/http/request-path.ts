// The path and query a page request asked for, handed to server components by proxy.ts in a
// request header it always overwrites (layouts are not told their URL).

export const REQUEST_PATH_HEADER = "x-baton-request-path";

/** The requested path when it lies under `prefix` (same origin, nothing odd), else `prefix`. */
export function requestedPathUnder(value: string | null, prefix: string): string {
  if (!value || !(value === prefix || value.startsWith(`${prefix}/`) || value.startsWith(`${prefix}?`))) {
    return prefix;
  }
  return value;
}
