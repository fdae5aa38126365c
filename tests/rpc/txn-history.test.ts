import t from 'tap';
import type { CommittedChange } from '../../engine/ovsdb/api.js';
import { TxnHistory } from '../../engine/rpc/txn-history.js';
import { startServer, uuidOfInsert } from './helpers.js';

const change = (txnId: string): CommittedChange => ({ txnId, tables: new Map() });

/** A small deterministic pseudo-random sequence (the test must not depend on luck). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

t.test('answers exactly as keeping every commit would, for every id a client was told', async (t) => {
  const bad: string[] = [];
  for (const limit of [1, 2, 3, 5, 8]) {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed * 7919 + limit);
      const h = new TxnHistory(limit);
      const all: string[] = []; // every commit, as a history that keeps everything
      const known = new Set<string>(); // ids some client was told
      let watchers = 0;
      let last = '';
      for (let step = 0; step < 120; step++) {
        const x = r();
        if (x < 0.1) {
          watchers++; // a monitor_cond_since monitor is made: its reply tells the last id
          h.told(last);
          if (last) known.add(last);
        } else if (x < 0.2) {
          if (watchers > 0) watchers--;
        } else {
          last = `c${all.length}`;
          all.push(last);
          h.commit(change(last), watchers > 0);
          if (watchers > 0) known.add(last); // update3 names it
        }
        for (const id of known) {
          const i = all.indexOf(id);
          const want = i >= all.length - limit ? all.slice(i + 1) : undefined;
          const got = h.since(id)?.map((c) => c.txnId);
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            bad.push(`limit ${limit} seed ${seed} step ${step} id ${id}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
          }
        }
      }
    }
  }
  t.same(bad.slice(0, 5), [], 'every lookup of a told id agrees with the full history (200 runs of 120 steps)');
});

t.test('nothing is kept while nobody uses monitor_cond_since, and at most limit commits after', async (t) => {
  const h = new TxnHistory(3);
  for (let i = 0; i < 50; i++) h.commit(change(`a${i}`), false);
  t.equal(h.size, 0, 'no telling: no commit kept');
  h.told('a49');
  for (let i = 0; i < 3; i++) h.commit(change(`b${i}`), false);
  t.equal(h.size, 0, 'three commits after the last telling: dropped');
  t.equal(h.since('a49'), undefined, 'the told id is out of reach, as it is with every commit kept');
  const none = new TxnHistory(0);
  none.told('x');
  none.commit(change('y'), true);
  t.equal(none.since('x'), undefined, 'limit 0: nothing is found');
});

t.test('through the server: a reconnecting client still gets only later commits; no monitor, no history', async (t) => {
  const h = await startServer({ txnHistory: 5 });
  t.teardown(() => h.close());
  const w = await h.connect();
  const insert = async (name: string): Promise<string> => uuidOfInsert(await w.transact('T', [{ op: 'insert', table: 'A', row: { name } }]));
  for (let i = 0; i < 20; i++) await insert(`pre${i}`);
  const history = (): number => (h.server.entry('T') as unknown as { history: TxnHistory }).history.size;
  t.equal(history(), 0, 'twenty commits without a monitor_cond_since monitor: none kept');
  const c = await h.connect();
  const first = await c.monitor('T', 'm', { A: [{ columns: ['name'] }] }, () => {}, { kind: 'monitor_cond_since', lastTxnId: '00000000-0000-0000-0000-000000000000' });
  await c.request('monitor_cancel', ['m']);
  const u = await insert('after');
  const again = await c.monitor('T', 'm2', { A: [{ columns: ['name'] }] }, () => {}, { kind: 'monitor_cond_since', lastTxnId: first.lastTxnId! });
  t.same([again.found, again.updates], [true, { A: { [u]: { insert: { name: 'after' } } } }], 'the monitor was gone during the commit: still only that commit');
  await c.request('monitor_cancel', ['m2']);
  for (let i = 0; i < 5; i++) await insert(`late${i}`);
  const late = await c.monitor('T', 'm3', { A: [{ columns: ['name'] }] }, () => {}, { kind: 'monitor_cond_since', lastTxnId: again.lastTxnId! });
  t.equal(late.found, false, 'five commits later (the limit): the whole contents, as before');
  t.equal(Object.keys(late.updates.A as object).length, 26, 'all 26 rows');
});
