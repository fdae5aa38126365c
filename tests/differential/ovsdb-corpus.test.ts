// Differential test of OVSDB transactions: every corpus file (tests/corpus/ovsdb/*.json) is run,
// transaction by transaction, against a real ovsdb-server (Debian OVS 3.1) and against our engine
// (engine/ovsdb createDatabase + parseSchema); normalised results must be identical, and so must
// the final contents of every table. The real server also confirms each transaction's intended
// outcome (`expect`), so the corpus is known to exercise what it says.
//
// Behaviour matched: ovsdb-server 3.1.0 (Debian's openvswitch-switch), exactly, with no documented
// differences. That includes weak references to garbage-collected rows, which ovsdb-server drops
// only from referencing rows its weak-reference pass has not visited yet (refs-gc.json #15-#28,
// #40-#49); upstream ovsdb/transaction.c still works this way in v3.7.0 and on main at commit
// d6a632a9 (2026-07-23), so we emulate it (engine/ovsdb/README.md).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import type { Database, Json } from '../../engine/ovsdb/api.js';
import { needRealOvs } from '../lib/env.js';
import { RealOvsdb, JsonValueSplitter } from '../lib/real-ovsdb.js';
import { UuidMapper } from '../lib/normalize.js';
import { listCorpusFiles, loadCorpusFile, normalizeResult, outcomeOf, selectAllOps } from '../lib/ovsdb-corpus.js';
import { parseSchema } from '../../engine/ovsdb/schema.js';
import { createDatabase } from '../../engine/ovsdb/database.js';
import { stringifyJson } from '../../engine/util/json-int64.js';

const noOvs = needRealOvs();
const files = listCorpusFiles();

t.test('the corpus is big enough and covers valid and invalid transactions', async (t) => {
  const all = files.flatMap((f) => loadCorpusFile(f).transactions);
  t.ok(all.length >= 300, `${all.length} transactions (>= 300)`);
  const outcomes = new Set(all.map((x) => x.expect));
  for (const want of ['ok', 'syntax error', 'unknown column', 'constraint violation', 'referential integrity violation',
    'domain error', 'range error', 'timed out', 'aborted', 'not owner', 'duplicate uuid-name']) {
    t.ok(outcomes.has(want), `some transaction expects "${want}"`);
  }
});

t.test('the real server is the version whose behaviour we match (Open vSwitch 3.1)', { skip: noOvs }, async (t) => {
  const r = spawnSync('/usr/sbin/ovsdb-server', ['--version'], { encoding: 'utf8' });
  t.match(r.stdout, /^ovsdb-server \(Open vSwitch\) 3\.1\./, `ovsdb-server --version: ${r.stdout.split('\n')[0]}`);
});

t.test('normalisation makes only legitimately variable things equal', async (t) => {
  const u = (n: number): string => `0000000${n}-1111-4222-8333-444444444444`;
  // same rows, different uuids, different column and row order, different set order
  const a: Json = [{ uuid: ['uuid', u(1)] }, { rows: [
    { _uuid: ['uuid', u(1)], _version: ['uuid', u(2)], s: ['set', ['b', 'a']], r: ['uuid', u(3)] }] }];
  const b: Json = [{ uuid: ['uuid', u(5)] }, { rows: [
    { r: ['uuid', u(7)], s: ['set', ['a', 'b']], _version: ['uuid', u(6)], _uuid: ['uuid', u(5)] }] }];
  t.same(normalizeResult(a, new UuidMapper()), normalizeResult(b, new UuidMapper()));
  // a different value, or the same uuid where the other side has two different ones, still differs
  const c: Json = [{ uuid: ['uuid', u(5)] }, { rows: [
    { r: ['uuid', u(5)], s: ['set', ['a', 'b']], _version: ['uuid', u(6)], _uuid: ['uuid', u(5)] }] }];
  t.not(stringifyJson(normalizeResult(a, new UuidMapper())), stringifyJson(normalizeResult(c, new UuidMapper())));
  const d: Json = [{ uuid: ['uuid', u(1)] }, { rows: [
    { _uuid: ['uuid', u(1)], _version: ['uuid', u(2)], s: ['set', ['b', 'c']], r: ['uuid', u(3)] }] }];
  t.not(stringifyJson(normalizeResult(a, new UuidMapper())), stringifyJson(normalizeResult(d, new UuidMapper())));
  // the two rows of an index conflict are named in raw-uuid order by OVS: order them by tag
  const conflict = (x: string, dx: string, y: string, dy: string): Json => [{ uuid: ['uuid', u(1)] }, {
    error: 'constraint violation',
    details: `Transaction causes multiple rows in "T" table to have identical values (a) for index on column "k".  First row, with UUID ${x}, ${dx}.  Second row, with UUID ${y}, ${dy}.`,
  }];
  const old = 'existed in the database before this transaction and was not modified by the transaction';
  const fresh = 'was inserted by this transaction';
  const m1 = new UuidMapper();
  m1.tag(u(2));
  const m2 = new UuidMapper();
  m2.tag(u(2));
  t.same(normalizeResult(conflict(u(2), old, u(1), fresh), m1), normalizeResult(conflict(u(1), fresh, u(2), old), m2));
  // elapsed time of a timed-out wait and the print precision of reals are not behaviour
  const waited = (ms: number, r: number): Json => [{ rows: [{ r }] }, { error: 'timed out', details: `"wait" timed out after ${ms} ms` }];
  t.same(normalizeResult(waited(33, 0.30000000000000004), new UuidMapper()), normalizeResult(waited(30, 0.3), new UuidMapper()));
  t.not(stringifyJson(normalizeResult(waited(30, 0.3001), new UuidMapper())), stringifyJson(normalizeResult(waited(30, 0.3), new UuidMapper())));
  t.match(stringifyJson(normalizeResult(conflict(u(2), old, u(1), fresh), new UuidMapper())), /First row, with UUID <0>, was inserted by this transaction\.  Second row, with UUID <1>, existed/);
});

t.test('the reply splitter finds every JSON value wherever the stream is cut', async (t) => {
  const values: Json[] = [{ id: 1, result: [{ rows: [{ s: 'a}]"{[' }] }], error: null }, { id: null, method: 'echo', params: ['\\"'] }, [1, [2]]];
  const text = values.map((v) => stringifyJson(v)).join('\n');
  for (let cut = 0; cut <= text.length; cut++) {
    const sp = new JsonValueSplitter();
    const got = [...sp.push(text.slice(0, cut)), ...sp.push(text.slice(cut))];
    if (stringifyJson(got) !== stringifyJson(values)) {
      t.same(got, values, `cut at ${cut}`);
      return;
    }
  }
  t.pass('all cuts give the same three values');
});

t.test('the real-server harness: restart keeps the data, reset empties it', { skip: noOvs }, async (t) => {
  const corpus = loadCorpusFile(files.find((f) => f.endsWith('constraints.json'))!);
  const real = await RealOvsdb.start({ schemaPath: corpus.schemaPath });
  t.teardown(() => real.stop());
  const count = async (): Promise<number> => {
    const r = await real.transact(corpus.db, [{ op: 'select', table: 'Single', where: [] }]) as Array<{ rows: Json[] }>;
    return r[0]!.rows.length;
  };
  t.equal(outcomeOf(await real.transact(corpus.db, [{ op: 'insert', table: 'Single', row: { v: 1 } }])), 'ok');
  await real.restart();
  t.equal(await count(), 1, 'row survives a restart on the same file');
  await real.reset();
  t.equal(await count(), 0, 'reset gives an empty database');
  t.match(await real.transact('Nope', []), { rpcError: { error: 'unknown database' } }, 'JSON-RPC level errors are reported as rpcError');
});

async function ourTransact(db: Database, ops: Json[]): Promise<Json> {
  try {
    return await db.transact(ops);
  } catch (e) {
    return { thrown: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

for (const file of files) {
  const corpus = loadCorpusFile(file);
  const name = basename(file);
  t.test(name, { skip: noOvs }, async (t) => {
    const real = await RealOvsdb.start({ schemaPath: corpus.schemaPath });
    t.teardown(() => real.stop());
    const ours: Database = createDatabase(parseSchema(corpus.schemaJson));
    const realTags = new UuidMapper();
    const ourTags = new UuidMapper();
    const mismatches: number[] = [];
    let realMs = 0;
    let ourMs = 0;
    for (const [i, txn] of corpus.transactions.entries()) {
      const label = `${name} #${i}${txn.note ? ` (${txn.note})` : ''}`;
      let t0 = performance.now();
      const realResult = await real.transact(corpus.db, txn.ops);
      realMs += performance.now() - t0;
      t.equal(outcomeOf(realResult), txn.expect, `${label}: real ovsdb-server gives the intended outcome`);
      t0 = performance.now();
      const ourResult = await ourTransact(ours, txn.ops);
      ourMs += performance.now() - t0;
      const a = normalizeResult(ourResult, ourTags);
      const b = normalizeResult(realResult, realTags);
      if (txn.knownDifference) {
        t.notSame(a, b, `${label}: differs from ovsdb-server as documented (${txn.knownDifference})`);
        continue;
      }
      if (stringifyJson(a) !== stringifyJson(b)) mismatches.push(i);
      t.same(a, b, `${label}: same result as ovsdb-server`);
    }
    const finalOps = selectAllOps(corpus.schemaJson);
    const realFinal = normalizeResult(await real.transact(corpus.db, finalOps), realTags);
    t.equal(outcomeOf(realFinal), 'ok', `${name}: final select of every table works`);
    const ourFinal = normalizeResult(await ourTransact(ours, finalOps), ourTags);
    t.same(ourFinal, realFinal, `${name}: same final database contents`);
    t.comment(`${name}: ${corpus.transactions.length} transactions, ovsdb-server ${realMs.toFixed(1)} ms (incl. socket round trips), ours ${ourMs.toFixed(1)} ms (in-process)`);
    if (mismatches.length > 0) t.comment(`${name}: ${mismatches.length} of ${corpus.transactions.length} transactions differ: #${mismatches.join(', #')}`);
  });
}
