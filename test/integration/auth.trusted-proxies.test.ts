// Issue 15 finding 3: sign-in limiting and audit entries trusted X-Forwarded-For from anyone.
// Requests here carry the socket address the web process stamps on each request
// (x-baton-peer-address, see server/net/client-ip.ts) and a forwarded header the client chose.
import { afterEach, describe, expect, it } from "vitest";
import { contextFromRequest } from "@/server/api/context";
import { authOptions } from "@/server/auth/options";
import { db } from "@/server/db/client";
import { createUser } from "../support/factories";

type Authorize = (
  credentials: Record<string, string>,
  req: { headers: Record<string, string> },
) => Promise<unknown>;
const authorize = (
  authOptions.providers.find((p) => p.id === "credentials") as unknown as {
    options: { authorize: Authorize };
  }
).options.authorize;

const from = (peer: string, forwardedFor: string) => ({
  headers: { "x-baton-peer-address": peer, "x-forwarded-for": forwardedFor },
});

afterEach(() => {
  delete process.env.BATON_TRUSTED_PROXIES;
});

describe("trusted proxies", () => {
  it("rotating X-Forwarded-For does not escape the per-IP sign-in limit", async () => {
    const peer = "203.0.113.40";
    for (let i = 0; i < 50; i++) {
      await expect(
        authorize(
          { email: `nobody${i}@example.com`, password: "not the password" },
          from(peer, `10.9.${i}.1`),
        ),
      ).rejects.toThrow();
    }
    const { email, password } = await createUser("rotating");
    await expect(authorize({ email, password }, from(peer, "10.9.200.1"))).rejects.toThrow(/Too many/);
    // Another socket address is not affected.
    await expect(authorize({ email, password }, from("203.0.113.41", "10.9.200.1"))).resolves.toMatchObject({
      email,
    });
  });

  it("audit entries record the socket address, or the client a trusted proxy names", async () => {
    const { email, password } = await createUser("audited");
    await authorize({ email, password }, from("203.0.113.50", "6.6.6.6"));
    process.env.BATON_TRUSTED_PROXIES = "203.0.113.0/24";
    await authorize({ email, password }, from("203.0.113.50", "6.6.6.6, 198.51.100.77"));
    const ips = (
      await db.auditEvent.findMany({
        where: { actorLabel: email, action: "auth.signin" },
        orderBy: { id: "asc" },
      })
    ).map((e) => e.ip);
    expect(ips).toEqual(["203.0.113.50", "198.51.100.77"]);
  });

  it("API requests and their audit entries get the same address", async () => {
    const request = new Request("http://localhost/api/trpc/x", {
      headers: {
        "x-baton-peer-address": "::ffff:192.0.2.9",
        "x-forwarded-for": "6.6.6.6",
        "x-real-ip": "7.7.7.7",
      },
    });
    const ctx = await contextFromRequest(request, { allowSession: false });
    expect(ctx.ip).toBe("192.0.2.9");
  });
});
