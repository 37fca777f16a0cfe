// Settings each process needs, checked at start so a misconfigured production process refuses
// to run instead of failing later (or, worse, running with a guessable secret).
import { keyringFromEnv } from "@/server/secrets/crypto";

type Env = Record<string, string | undefined>;

/** One setting: its name(s) as shown, what it is, and why the environment does not provide it (or undefined). */
interface Requirement {
  name: string;
  what: string;
  problem(env: Env): string | undefined;
}

const present =
  (name: string): Requirement["problem"] =>
  (env) =>
    env[name] ? undefined : "not set";

const databaseUrl: Requirement = {
  name: "DATABASE_URL",
  what: "the PostgreSQL connection URL",
  problem: present("DATABASE_URL"),
};

// Secrets and secret connection fields are encrypted under it; without it they can be neither
// written nor read, so a process must not start and fail on the first DAG that needs one.
const masterKeys: Requirement = {
  name: "BATON_MASTER_KEYS (or BATON_MASTER_KEY)",
  what: 'the master keys that encrypt secrets, as "<version>:<base64 32-byte key>,…" (openssl rand -base64 32); see docs/secrets.md',
  problem: (env) => {
    try {
      return keyringFromEnv(env) ? undefined : "not set";
    } catch (error) {
      return (error as Error).message;
    }
  },
};

const requirements: Record<"web" | "worker", Requirement[]> = {
  web: [
    databaseUrl,
    {
      name: "NEXTAUTH_SECRET",
      what: "a long random string that signs session cookies (openssl rand -base64 32)",
      problem: present("NEXTAUTH_SECRET"),
    },
    masterKeys,
  ],
  worker: [databaseUrl, masterKeys],
};

/** The settings `kind` lacks, with the reason for each; empty when it may start. */
export function missingConfig(kind: keyof typeof requirements, env: Env = process.env) {
  return requirements[kind].flatMap((r) => {
    const problem = r.problem(env);
    return problem ? [{ name: r.name, what: r.what, problem }] : [];
  });
}

export function assertProductionConfig(kind: keyof typeof requirements): void {
  const missing = missingConfig(kind);
  if (missing.length === 0) return;
  const lines = missing.map(({ name, what, problem }) => `  ${name} (${problem}): ${what}`).join("\n");
  console.error(`\nBaton ${kind} cannot start; set these environment variables:\n${lines}\n`);
  console.error("(For a local try-out, `npm start` provides all of them.)\n");
  process.exit(1);
}
