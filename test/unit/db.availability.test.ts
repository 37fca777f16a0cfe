// Which errors mean "the database cannot serve this now" (answered 503 with Retry-After, retried by
// the worker) rather than a fault of ours (500): errors as the drivers raise them.
import { describe, expect, it } from "vitest";
import { Prisma } from "@/prisma/generated/client";
import { isDatabaseUnavailable } from "@/server/db/availability";
import { internalError } from "@/server/observability/http";

// As Prisma raised them in the soak bench on a saturated machine (every connection of the web's
// pool busy for longer than a transaction may wait for one): nothing ran.
const poolExhausted = new Prisma.PrismaClientKnownRequestError(
  "\nInvalid `prisma.dagRun.findMany()` invocation:\n\n\nTransaction API error: Unable to start a transaction in the given time.",
  { code: "P2028", clientVersion: Prisma.prismaVersion.client, meta: { modelName: "DagRun" } },
);

describe("isDatabaseUnavailable", () => {
  it("counts a restart, a refused connection and an exhausted pool", () => {
    expect(isDatabaseUnavailable(Object.assign(new Error("terminating"), { code: "57P01" }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("connect"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isDatabaseUnavailable(new Error("timeout exceeded when trying to connect"))).toBe(true);
    expect(isDatabaseUnavailable(poolExhausted)).toBe(true);
  });

  it("does not count a statement's own failure", () => {
    const unique = new Prisma.PrismaClientKnownRequestError("Unique constraint failed", {
      code: "P2002",
      clientVersion: Prisma.prismaVersion.client,
    });
    expect(isDatabaseUnavailable(unique)).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error("syntax"), { code: "42601" }))).toBe(false);
    // An expired transaction may have done its work: not something to answer "try again" to blindly.
    const expired = new Prisma.PrismaClientKnownRequestError(
      "Transaction API error: A commit cannot be executed on an expired transaction.",
      { code: "P2028", clientVersion: Prisma.prismaVersion.client },
    );
    expect(isDatabaseUnavailable(expired)).toBe(false);
  });
});

describe("the web's answer", () => {
  it("is 503 with Retry-After when no database connection could be had in time", async () => {
    const response = internalError(poolExhausted);
    expect(response.status).toBe(503);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("SERVICE_UNAVAILABLE");
  });

  it("is 500 naming only the request for anything else", async () => {
    const response = internalError(new Error("a bug"));
    expect(response.status).toBe(500);
    expect(JSON.stringify(await response.json())).not.toContain("a bug");
  });
});
