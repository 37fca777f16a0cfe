import { describe, expect, it } from "vitest";
import { cutText, isDataException, storableText, unstorableJson } from "@/server/engine/storable";

describe("storableText", () => {
  it("leaves ordinary text alone, surrogate pairs included", () => {
    const text = "plain, accents é, emoji 😀";
    expect(storableText(text)).toBe(text);
  });

  it("writes NUL and lone surrogates as visible escapes, keeping the rest of the text", () => {
    expect(storableText("a\u0000b\u0000c")).toBe("a\\u0000b\\u0000c");
    expect(storableText("x\ud800y\udc00z")).toBe("x\\ud800y\\udc00z");
    expect(storableText("😀\ud83d")).toBe("😀\\ud83d");
  });
});

describe("unstorableJson", () => {
  const check = (value: unknown) => unstorableJson(value, JSON.stringify(value), "output");

  it("accepts what jsonb stores, including text that merely looks like an escape", () => {
    expect(check({ a: ["x", 1, null, { b: "😀" }] })).toBeUndefined();
    expect(check({ literal: "\\u0000 and \\ud800" })).toBeUndefined();
  });

  it("names the string or key holding a NUL or a lone surrogate", () => {
    expect(check({ k: "a\u0000b" })).toBe("the string at output.k holds a NUL character (\\u0000)");
    expect(check("\ud800")).toBe("the string at output holds a lone surrogate (half of a UTF-16 pair)");
    expect(check({ rows: [{ ok: 1 }, { "odd key": "\udc00" }] })).toBe(
      'the string at output.rows[1]["odd key"] holds a lone surrogate (half of a UTF-16 pair)',
    );
    expect(check({ "a\u0000": 1 })).toBe('the key at output["a\\u0000"] holds a NUL character (\\u0000)');
  });
});

describe("isDataException", () => {
  it("recognises PostgreSQL's data exceptions (class 22) only", () => {
    const error = (code: string) => Object.assign(new Error("x"), { code });
    expect(isDataException(error("22P05"))).toBe(true);
    expect(isDataException(error("22021"))).toBe(true);
    expect(isDataException(error("40001"))).toBe(false);
    expect(isDataException(new Error("no code"))).toBe(false);
  });
});

describe("cutText", () => {
  it("keeps short text and says how much of a long one was dropped", () => {
    expect(cutText("short", 10)).toBe("short");
    expect(cutText("x".repeat(25), 10)).toBe(`${"x".repeat(10)}… (15 more characters)`);
  });
});
