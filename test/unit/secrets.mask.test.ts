import { describe, expect, it } from "vitest";
import { MASK, SecretMask } from "@/server/secrets/mask";

const secret = 'a/b+"c"\\d e';

describe("SecretMask", () => {
  const mask = new SecretMask([secret, "xy", "abc123", "abc"]);

  it("masks the raw, JSON-escaped and URL-encoded forms of each value, longest first", () => {
    expect(mask.text(`raw ${secret}`)).toBe("raw ***");
    expect(mask.text(JSON.stringify({ k: secret }))).toBe('{"k":"***"}');
    expect(mask.text(JSON.stringify(JSON.stringify({ k: secret })))).toBe('"{\\"k\\":\\"***\\"}"');
    expect(mask.text(JSON.stringify(JSON.stringify(JSON.stringify(secret))))).toBe(
      '"\\"\\\\\\"***\\\\\\"\\""',
    );
    expect(mask.text(`q=${encodeURIComponent(secret)}`)).toBe("q=***");
    expect(mask.text(`q=${encodeURIComponent(secret).toLowerCase()}`)).toBe("q=***");
    expect(mask.text(new URLSearchParams({ q: secret }).toString())).toBe("q=***");
    expect(mask.text(encodeURI(`https://h/${secret}`))).toBe("https://h/***");
    expect(mask.text("token=abc123 and abc")).toBe("token=*** and ***");
  });

  it("leaves values shorter than 3 characters and transformed values alone", () => {
    expect(mask.text("xyz xy")).toBe("xyz xy");
    expect(mask.text(Buffer.from(secret).toString("base64"))).toBe(Buffer.from(secret).toString("base64"));
  });

  it("masks every string of a value, keys included, and numbers that hold a secret", () => {
    const masked = new SecretMask(["123456", "key-value"]).value({
      "key-value": ["x key-value y", 123456, 7, true, null],
      nested: { deep: { n: 1234567 } },
      ["__proto__"]: "key-value",
    });
    expect(masked).toEqual({
      [MASK]: ["x *** y", MASK, 7, true, null],
      nested: { deep: { n: MASK } },
      ["__proto__"]: MASK,
    });
    expect(Object.hasOwn(masked, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(masked)).toBe(Object.prototype);
  });

  it("is empty without values, and then changes nothing", () => {
    const none = new SecretMask(["", "ab"]);
    expect(none.empty).toBe(true);
    const value = { a: 1 };
    expect(none.value(value)).toBe(value);
  });
});
