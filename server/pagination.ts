// The Page convention of every list the API answers: a list takes `cursor` and `limit`, answers
// `{ items, nextCursor }`, and `nextCursor` (null on the last page) is passed back as `cursor` for
// the next one. Cursors are opaque to clients: the sort key of the page's last item, encoded.
// Keyset pagination (never OFFSET): a page costs the same however deep it is, and rows inserted
// meanwhile neither repeat nor skip items.
import { z } from "zod";
import { AppError } from "@/server/errors";

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** The input fields of every list: spread into the procedure's input object. */
export const pageInput = {
  /** `nextCursor` of the previous page; absent for the first page. */
  cursor: z.string().min(1).max(1000).optional(),
  limit: z.coerce
    .number()
    .int("Must be a whole number")
    .min(1, "At least 1")
    .max(MAX_PAGE_SIZE, `At most ${MAX_PAGE_SIZE}`)
    .default(DEFAULT_PAGE_SIZE),
};

/** A list's input as services take it (limit defaulted by pageInput). */
export interface PageInput {
  cursor?: string | undefined;
  limit: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * The answer of a list of `item` (a schema with an `id` in its metadata, e.g. "Run"): the
 * component `<id>Page`. `extra` adds fields beside items and nextCursor (e.g. a parent's id).
 */
export function pageOf<T extends z.ZodType, E extends z.ZodRawShape = Record<never, never>>(
  item: T,
  extra?: E,
) {
  const id = z.globalRegistry.get(item)?.id;
  if (!id) throw new Error("pageOf needs an item schema registered with an id (.meta({ id }))");
  return z
    .object({
      items: z.array(item),
      nextCursor: z
        .string()
        .nullable()
        .describe("Pass as `cursor` to read the next page; null on the last page"),
      ...(extra ?? ({} as E)),
    })
    .meta({ id: `${id}Page`, description: `A page of ${id} items (see Page)` });
}

/** The envelope every list shares, documented once as the component `Page`. */
export const pageEnvelope = z
  .object({ items: z.array(z.unknown()), nextCursor: z.string().nullable() })
  .meta({
    id: "Page",
    description:
      "Every list answers a page: `items`, and `nextCursor` to pass as `cursor` for the next page (null on the last).",
  });

/** Encodes a page's last sort key as an opaque cursor. Dates travel as ISO strings, bigints as text. */
export function encodeCursor(key: readonly (string | number | bigint | Date | null)[]): string {
  const plain = key.map((value) =>
    value instanceof Date ? value.toISOString() : typeof value === "bigint" ? value.toString() : value,
  );
  return Buffer.from(JSON.stringify(plain)).toString("base64url");
}

/**
 * The sort key a cursor holds, checked against `shape` (a tuple, e.g.
 * `z.tuple([z.coerce.date(), z.uuid()])`); undefined when there is no cursor. A cursor that is not
 * ours is a 400 naming `cursor`.
 */
export function decodeCursor<T>(cursor: string | undefined, shape: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const checked = shape.safeParse(parsed);
  if (!checked.success) {
    throw new AppError("BAD_REQUEST", "Invalid cursor", [
      { path: "cursor", message: "Not a cursor from this list; pass nextCursor as it was given" },
    ]);
  }
  return checked.data;
}

/**
 * A page from rows read with `take: limit + 1`: the extra row only says there is a next page, whose
 * cursor is the key of the last row kept.
 */
export function toPage<Row, Item = Row>(
  rows: Row[],
  limit: number,
  keyOf: (row: Row) => readonly (string | number | bigint | Date | null)[],
  map: (row: Row) => Item = (row) => row as unknown as Item,
): Page<Item> {
  const kept = rows.slice(0, limit);
  const last = kept.at(-1);
  return {
    items: kept.map(map),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}

/** Every item of a list, page after page (for callers that need them all, such as the CLI). */
export async function allItems<T>(read: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

type Direction = "asc" | "desc";
type KeyValue = string | number | bigint | Date | null;
/** How a sort key field travels in a cursor. */
type KeyType = "string" | "date" | "int" | "bigint";

/** The column types' ranges: a cursor holding a value beyond them is not ours (400, not a database error). */
const INT8_MAX = 9_223_372_036_854_775_807n;
const keyTypes = {
  string: z.string(),
  date: z.iso.datetime().transform((text) => new Date(text)),
  int: z
    .number()
    .int()
    .min(-(2 ** 31))
    .max(2 ** 31 - 1),
  bigint: z
    .string()
    .regex(/^\d{1,19}$/)
    .transform((text) => BigInt(text))
    .refine((value) => value <= INT8_MAX),
} satisfies Record<KeyType, z.ZodType>;

/** What a keyset page reads: where (the rows after the cursor), orderBy and take (limit + 1). */
export interface PageQuery<F extends string> {
  where: { AND?: { OR: Record<string, unknown>[] }[] };
  orderBy: Partial<Record<F, Direction>>[];
  take: number;
}

/**
 * Keyset pagination over a sort key ending with a unique field, e.g.
 * `keyset([["createdAt", "desc", "date"], ["id", "desc"]])`. `page` decodes the cursor, reads
 * through `read` (spread `where` into the query's filter, pass orderBy and take) and answers the
 * page, its cursor being the last row's key.
 */
export function keyset<const F extends string>(order: readonly (readonly [F, Direction, KeyType?])[]) {
  const shape = z.tuple(order.map(([, , type = "string"]) => keyTypes[type]) as unknown as [z.ZodType]);
  const orderBy = order.map(([field, direction]) => ({ [field]: direction })) as Partial<
    Record<F, Direction>
  >[];
  // For [a desc, b desc] after (x, y): a < x OR (a = x AND b < y).
  const after = (key: readonly unknown[]): Record<string, unknown>[] =>
    order.map(([field, direction], i) => ({
      ...Object.fromEntries(order.slice(0, i).map(([f], j) => [f, key[j]])),
      [field]: { [direction === "asc" ? "gt" : "lt"]: key[i] },
    }));
  return {
    async page<Row extends Record<F, unknown>, Item = Row>(
      input: { cursor?: string | undefined; limit: number },
      read: (query: PageQuery<F>) => Promise<Row[]>,
      map?: (row: Row) => Item,
    ): Promise<Page<Item>> {
      const key = decodeCursor(input.cursor, shape) as unknown[] | undefined;
      const rows = await read({
        where: key ? { AND: [{ OR: after(key) }] } : {},
        orderBy,
        take: input.limit + 1,
      });
      return toPage(rows, input.limit, (row) => order.map(([field]) => row[field] as KeyValue), map);
    },
  };
}
