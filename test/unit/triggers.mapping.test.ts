// Param mappings: JSON pointers into a document or headers, as webhooks and DAG triggers use them.
import { describe, expect, it } from "vitest";
import {
  mapParams,
  paramMappingSchema,
  resolvePointer,
  undeclaredParams,
  withSources,
} from "@/server/triggers/mapping";

const doc = { a: { "b/c": 1, "m~n": 2, list: [10, 20] }, zero: 0, nothing: null };

describe("JSON pointers (RFC 6901)", () => {
  it("resolves paths, escapes and array indexes", () => {
    expect(resolvePointer(doc, "")).toEqual({ found: true, value: doc });
    expect(resolvePointer(doc, "/a/b~1c")).toEqual({ found: true, value: 1 });
    expect(resolvePointer(doc, "/a/m~0n")).toEqual({ found: true, value: 2 });
    expect(resolvePointer(doc, "/a/list/1")).toEqual({ found: true, value: 20 });
    expect(resolvePointer(doc, "/zero")).toEqual({ found: true, value: 0 });
    expect(resolvePointer(doc, "/nothing")).toEqual({ found: true, value: null });
  });

  it("finds nothing beyond the data (and nothing on prototypes)", () => {
    for (const pointer of [
      "/missing",
      "/a/list/2",
      "/a/list/01",
      "/a/list/-",
      "/zero/x",
      "/constructor",
      "/a/__proto__",
    ]) {
      expect(resolvePointer(doc, pointer).found, pointer).toBe(false);
    }
  });
});

describe("mapping", () => {
  it("maps body fields and headers; header text becomes the declared type", () => {
    const params = mapParams(
      {
        n: "/a/list/0",
        whole: "",
        count: "header:X-Count",
        dry: "header:x-dry",
        tags: "header:X-Tags",
        who: "header:X-Who",
      },
      doc,
      { "x-count": "42", "x-dry": "true", "x-tags": '["a","b"]', "x-who": "ci" },
      {
        count: { type: "integer", required: false },
        dry: { type: "boolean", required: false },
        tags: { type: "array", required: false },
      },
    );
    expect(params).toEqual({ n: 10, whole: doc, count: 42, dry: true, tags: ["a", "b"], who: "ci" });
  });

  it("leaves out params whose source is missing, so defaults apply", () => {
    expect(mapParams({ x: "/missing", y: "header:X-None" }, doc, {})).toEqual({});
  });

  it("checks sources and names", () => {
    const schema = paramMappingSchema({ headers: true });
    expect(schema.safeParse({ n: "/a", h: "header:X-Thing", all: "" }).success).toBe(true);
    expect(schema.safeParse({ n: "a" }).success).toBe(false);
    expect(schema.safeParse({ n: "/a~2" }).success).toBe(false);
    expect(schema.safeParse({ n: "header:bad name" }).success).toBe(false);
    expect(schema.safeParse({ "bad-name": "/a" }).success).toBe(false);
    expect(paramMappingSchema({ headers: false }).safeParse({ n: "header:X" }).success).toBe(false);
  });

  it("names undeclared params, and says where a failing value came from", () => {
    expect(undeclaredParams({ n: "/a", x: "/b" }, { n: { type: "integer", required: false } })).toEqual([
      { path: "paramMapping.x", message: 'the DAG declares no param "x" (it has n)' },
    ]);
    expect(
      withSources([{ path: "params.n", message: "Invalid input: expected int" }], {
        n: "/pull_request/number",
      }),
    ).toEqual([
      { path: "params.n", message: 'Invalid input: expected int (mapped from "/pull_request/number")' },
    ]);
  });
});
