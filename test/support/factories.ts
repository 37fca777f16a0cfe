// Builders for integration tests: real rows through the real services, and tRPC callers acting
// as a given user or token.
import { randomBytes } from "node:crypto";
import { createCaller } from "@/server/api/root";
import { createAccount } from "@/server/auth/accounts";
import type { Caller } from "@/server/tenancy/door";

export const uniqueEmail = (name = "user") => `${name}-${randomBytes(4).toString("hex")}@example.com`;

export async function createUser(name = "user", password = "correct horse battery") {
  const email = uniqueEmail(name);
  const { user, workspace } = await createAccount({ email, name, password });
  const caller: Caller = { kind: "user", userId: user.id, email: user.email, ip: "127.0.0.1" };
  return { user, workspace, email, password, caller, api: apiAs(caller) };
}

export function apiAs(caller: Caller | null, ip = caller?.ip ?? "127.0.0.1") {
  return createCaller({ caller, ip, baseUrl: "http://localhost:3000" });
}

/** The tRPC error code a promise rejects with, or "OK". */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}
