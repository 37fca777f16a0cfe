// Quota amounts in the units people read on the usage page and in alert e-mails.
import { describe, expect, it } from "vitest";
import { formatBytes, formatQuantity, formatSeconds } from "@/server/usage/format";
import { levelOf } from "@/server/usage/report";

describe("quota amounts", () => {
  it("prints bytes in binary units", () => {
    expect(formatBytes(0)).toBe("0 bytes");
    expect(formatBytes(1023)).toBe("1,023 bytes");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5_242_880)).toBe("5 MiB");
  });

  it("prints task-seconds as hours from an hour up", () => {
    expect(formatSeconds(42)).toBe("42 s");
    expect(formatSeconds(90)).toBe("1.5 min");
    expect(formatSeconds(360_000)).toBe("100 h");
  });

  it("prints each unit", () => {
    expect(formatQuantity(100_000, "count")).toBe("100,000");
    expect(formatQuantity(1, "days")).toBe("1 day");
    expect(formatQuantity(30, "days")).toBe("30 days");
    expect(formatQuantity(600, "per-minute")).toBe("600 / min");
  });
});

describe("usage levels", () => {
  it("is near the limit from 80% and at it from 100%", () => {
    expect(levelOf(7, 10)).toBe("ok");
    expect(levelOf(8, 10)).toBe("near");
    expect(levelOf(10, 10)).toBe("at");
    expect(levelOf(12, 10)).toBe("at");
    expect(levelOf(0, 0)).toBe("at"); // a quota of 0 leaves no room
  });
});
