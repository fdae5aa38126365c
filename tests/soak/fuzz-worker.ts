// Runs one fuzz target in its own process (so the soak can run targets in parallel and kill a
// hung one): node fuzz-worker.js <target> <runs> <seed>; the last stdout line is the JSON result.
import { runFuzz } from '../fuzz/harness.js';
import { targetByName } from '../fuzz/targets.js';

const [name, runs, seed] = process.argv.slice(2);
const entry = targetByName(name ?? '');
if (!entry) {
  process.stderr.write(`fuzz-worker: unknown target ${name}\n`);
  process.exit(2);
}
const r = await runFuzz(entry.target, { numRuns: Number(runs), seed: Number(seed), timeBoxMs: 5000, maxHeapBytes: 1536 * 1048576 });
process.stdout.write(JSON.stringify(r) + '\n');
process.exit(0);
