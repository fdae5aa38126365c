// Short crash soak for `npm test`: a few SIGKILL cycles of our ovsdb-server under load (the full
// run is `npm run soak`). Set SOAK_SEED to replay a run.
import t from 'tap';
import { runCrashSoak } from './crash.js';
import { seedFromEnv } from './rng.js';

t.setTimeout(600_000); // also when the file is run directly (tap's default is 30 s)

t.test('crash soak: acknowledged transactions survive SIGKILL, power cuts recover', { timeout: 300_000 }, async (t) => {
  const seed = seedFromEnv();
  const r = await runCrashSoak({ cycles: 8, seed, maxRunMs: 300, log: (l) => t.comment(l) });
  t.comment(`seed ${seed}: ${r.cycles} cycles, ${r.acknowledged} acknowledged, ${r.lost} lost, ${r.powerCuts} power cuts, ` +
    `${r.killsDuringStartup} kills during startup, ${r.killsDuringCompaction} during compaction, ${r.seconds.toFixed(1)} s`);
  t.equal(r.cycles, 8, 'every cycle ran');
  t.ok(r.acknowledged > 0, 'the load generator got transactions acknowledged');
  t.equal(r.lost, 0, 'no acknowledged change lost');
  t.same(r.problems, [], 'no problems');
  t.equal(r.txnErrors, 0, 'no transaction failed');
  t.ok(r.powerCuts > 0, 'power cuts were simulated');
  t.equal(r.powerCutFailures, 0, 'every power cut recovered');
});
