// Differential test of OVSDB transactions: every corpus file (tests/corpus/ovsdb/*.json) is run,
// transaction by transaction, against a real ovsdb-server (Debian OVS 3.1) and against our engine
// (engine/ovsdb createDatabase + parseSchema); normalised results must be identical, and so must
// the final contents of every table. The real server also confirms each transaction's intended
// outcome (`expect`), so the corpus is known to exercise what it says.
import t from 'tap';
import { basename } from 'node:path';
import type { Database, Json } from '../../engine/ovsdb/api.js';
import { needRealOvs } from '../lib/env.js';
import { RealOvsdb } from '../lib/real-ovsdb.js';
import { UuidMapper } from '../lib/normalize.js';
import { listCorpusFiles, loadCorpusFile, normalizeResult, outcomeOf, selectAllOps } from '../lib/ovsdb-corpus.js';
import { loadEngine } from '../lib/engine-probe.js';

const noOvs = needRealOvs();
const engine = await loadEngine();
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
    let ours: Database | undefined;
    if (engine) ours = engine.createDatabase(engine.parseSchema(corpus.schemaJson));
    else t.comment('our engine (engine/ovsdb/database.ts) is not built yet: checking the corpus against real ovsdb-server only');
    const realTags = new UuidMapper();
    const ourTags = new UuidMapper();
    const mismatches: number[] = [];
    for (const [i, txn] of corpus.transactions.entries()) {
      const label = `${name} #${i}${txn.note ? ` (${txn.note})` : ''}`;
      const realResult = await real.transact(corpus.db, txn.ops);
      t.equal(outcomeOf(realResult), txn.expect, `${label}: real ovsdb-server gives the intended outcome`);
      if (!ours) continue;
      const ourResult = await ourTransact(ours, txn.ops);
      const a = normalizeResult(ourResult, ourTags);
      const b = normalizeResult(realResult, realTags);
      if (JSON.stringify(a) !== JSON.stringify(b)) mismatches.push(i);
      t.same(a, b, `${label}: same result as ovsdb-server`);
    }
    const finalOps = selectAllOps(corpus.schemaJson);
    const realFinal = normalizeResult(await real.transact(corpus.db, finalOps), realTags);
    if (ours) {
      const ourFinal = normalizeResult(await ourTransact(ours, finalOps), ourTags);
      t.same(ourFinal, realFinal, `${name}: same final database contents`);
      if (mismatches.length > 0) t.comment(`${name}: ${mismatches.length} of ${corpus.transactions.length} transactions differ: #${mismatches.join(', #')}`);
    } else {
      t.equal(outcomeOf(realFinal), 'ok', `${name}: final select of every table works`);
    }
  });
}
