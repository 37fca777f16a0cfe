// `npm run bench -- <name>`: runs bench/<name>.ts, whose default export prints its own figures.
const names = process.argv.slice(2);
if (names.length === 0) {
  console.error("usage: npm run bench -- <name> [...]   (for example: dag, engine, webhooks, ui)");
  process.exit(2);
}
for (const name of names) {
  if (!/^[a-z-]+$/.test(name)) throw new Error(`bench name must be lowercase letters: ${name}`);
  const mod: { default: () => Promise<void> } = await import(`./${name}.ts`);
  console.log(`\n== bench ${name}`);
  await mod.default();
}

export {};
