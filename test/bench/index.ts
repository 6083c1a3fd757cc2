// npm run bench: every benchmark, in one run. Each module exports `run()` resolving false when it
// missed its target (the exit code is then 1). To add one, append a [name, loader] pair below.
const benches: Array<[string, () => Promise<{ run: () => Promise<boolean | void> }>]> = [
  ['scheduler', () => import('./scheduler.js')],
  ['packetizer', () => import('./packetizer.js')],
  ['relay', () => import('./relay.js')],
  ['server', () => import('./server.js')],
];
// BENCH_ONLY=server,packetizer runs only those.
const only = process.env.BENCH_ONLY?.split(',');

let ok = true;
for (const [name, load] of benches) {
  if (only && !only.includes(name)) continue;
  console.log(`# ${name}`);
  const result = await (await load()).run();
  ok = result !== false && ok;
}
process.exitCode = ok ? 0 : 1;
