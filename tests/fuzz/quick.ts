// The short fuzz run of one target for `npm test` (the soak runs >= 100,000 cases per target).
// FUZZ_SEED replays a run; a failing input is shrunk, printed and kept under tests/fuzz-regressions/.
import t from 'tap';
import { stringifyJson } from '../../engine/util/json-int64.js';
import { runFuzz } from './harness.js';
import { targetByName } from './targets.js';

export function quickFuzzTest(name: string): void {
  const entry = targetByName(name);
  if (!entry) throw new Error(`no fuzz target named ${name}`);
  const { target, quickRuns } = entry;
  const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : undefined;
  t.setTimeout(600_000);
  t.test(`fuzz ${target.name}: ${quickRuns} cases, only typed errors, no hang`, async (t) => {
    const r = await runFuzz(target, { numRuns: quickRuns, seed, timeBoxMs: 5000, maxHeapBytes: 1024 * 1048576 });
    t.comment(`${r.target}: ${r.cases} cases in ${r.seconds.toFixed(1)} s, seed ${r.seed}, peak heap ${r.peakHeapMiB} MiB`);
    if (r.failure) t.comment(`counterexample: ${stringifyJson(r.failure.input).slice(0, 2000)}\n${r.failure.error}`);
    t.equal(r.crashes, 0, 'no crash');
    t.equal(r.cases, quickRuns, 'every case ran');
  });
}
