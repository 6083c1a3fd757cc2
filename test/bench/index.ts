// npm run bench: every benchmark, in one run. Each module exports `run()` resolving false when it
// missed its target (the exit code is then 1).
import { run as packetizer } from './packetizer.js';

const benches: Array<[string, () => Promise<boolean>]> = [['packetizer', () => packetizer()]];

let ok = true;
for (const [name, run] of benches) {
  console.log(`# ${name}`);
  ok = (await run()) && ok;
}
process.exitCode = ok ? 0 : 1;
