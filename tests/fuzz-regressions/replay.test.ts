// Replays every crasher the fuzzers kept (tests/fuzz-regressions/<target>.json): each must now
// pass its target's check. A failing case here is a known bug still open in the named module.
import t from 'tap';
import { readRegressions } from '../fuzz/harness.js';
import { TARGETS } from '../fuzz/targets.js';
import { stringifyJson } from '../../engine/util/json-int64.js';

t.setTimeout(600_000); // also when the file is run directly (tap's default is 30 s)

for (const { target } of TARGETS) {
  const cases = readRegressions(target.name);
  if (!cases.length) continue;
  t.test(`fuzz regressions: ${target.name} (${cases.length})`, { timeout: 120_000 }, async (t) => {
    await target.setup?.();
    try {
      for (const [i, c] of cases.entries()) {
        let err: unknown;
        try { await target.check(target.fromJson(c.input) as never); } catch (e) { err = e; }
        t.equal(err === undefined ? undefined : String((err as Error).message ?? err).slice(0, 1500), undefined,
          `case ${i} (${c.found}): ${stringifyJson(c.input).slice(0, 200)}`);
      }
    } finally {
      await target.teardown?.();
    }
  });
}
t.pass('regression files read');
