// `npm run bench -- <name> [...] [arguments]`: runs bench/<name>.ts, whose default export prints its
// own figures. Leading lowercase words name benches; what follows them is given to each bench (for
// example `npm run bench -- wf my-workflow.json --order fifo`).
const argv = process.argv.slice(2);
const firstArgument = argv.findIndex((arg) => !/^[a-z][a-z-]*$/.test(arg));
const names = firstArgument === -1 ? argv : argv.slice(0, firstArgument);
const args = firstArgument === -1 ? [] : argv.slice(firstArgument);
if (names.length === 0) {
  console.error("usage: npm run bench -- <name> [...] [arguments]   (for example: dag, engine, wf, report)");
  process.exit(2);
}
for (const name of names) {
  const mod: { default: (args: string[]) => Promise<void> } = await import(`./${name}.ts`);
  console.log(`\n== bench ${name}`);
  await mod.default(args);
}

export {};
