// Settings each process needs, checked at start so a misconfigured production process refuses
// to run instead of failing later (or, worse, running with a guessable secret).
const requirements = {
  web: {
    DATABASE_URL: "the PostgreSQL connection URL",
    NEXTAUTH_SECRET: "a long random string that signs session cookies (openssl rand -base64 32)",
  },
  worker: { DATABASE_URL: "the PostgreSQL connection URL" },
} as const;

export function assertProductionConfig(kind: keyof typeof requirements): void {
  const missing = Object.entries(requirements[kind]).filter(([name]) => !process.env[name]);
  if (missing.length === 0) return;
  const lines = missing.map(([name, what]) => `  ${name}: ${what}`).join("\n");
  console.error(`\nBaton ${kind} cannot start; set these environment variables:\n${lines}\n`);
  console.error("(For a local try-out, `npm start` provides all of them.)\n");
  process.exit(1);
}
