// Tiny load run for `npm test`: a few monitoring clients and writers against our ovsdb-server and
// the real one side by side (numbers are printed, not asserted; the assertions are about errors).
import t from 'tap';
import { needRealOvs } from '../lib/env.js';
import { formatLoad, runLoad } from './load.js';

t.setTimeout(600_000); // also when the file is run directly (tap's default is 30 s)

t.test('load: our ovsdb-server', { timeout: 120_000 }, async (t) => {
  const r = await runLoad({ kind: 'ours', clients: 8, writers: 3, seconds: 3 });
  t.comment(formatLoad(r));
  t.ok(r.transactions > 0, 'transactions committed');
  t.equal(r.errors, 0, `no errors${r.firstError ? ` (first: ${r.firstError})` : ''}`);
  t.equal(r.clientsAlive, 8, 'every monitoring client still connected');
  t.ok(r.updates >= 8, 'monitors received updates');
});

t.test('load: real ovsdb-server (reference numbers)', { skip: needRealOvs(), timeout: 120_000 }, async (t) => {
  const r = await runLoad({ kind: 'real', clients: 8, writers: 3, seconds: 3 });
  t.comment(formatLoad(r));
  t.ok(r.transactions > 0, 'transactions committed');
  t.equal(r.errors, 0, `no errors${r.firstError ? ` (first: ${r.firstError})` : ''}`);
});
