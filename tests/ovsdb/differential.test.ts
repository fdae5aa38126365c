// Runs the same transactions against a private real ovsdb-server 3.1 and our MemoryDatabase and
// compares result arrays (errors, details, syntax) and the records written to storage.
import t from 'tap';
import { needRealOvs } from '../lib/env.js';
import { readSchemaFile } from '../../engine/ovsdb/schema-file.js';
import { createDatabase } from '../../engine/ovsdb/database.js';
import type { JsonObject } from '../../engine/ovsdb/api.js';
import { RealOvsdb } from './real-server.js';
import { corpus, normalize, schemaPath } from './corpus.js';
import { stringifyJson } from '../../engine/util/json-int64.js';

t.test('transactions match real ovsdb-server 3.1', { skip: needRealOvs() }, async (t) => {
  const real = new RealOvsdb(schemaPath, 'Diff');
  t.teardown(() => real.stop());
  await real.start();
  const records: JsonObject[] = [];
  const ours = createDatabase(readSchemaFile(schemaPath), { sink: { append: (r) => { records.push(r); } } });
  for (const ops of corpus) {
    const expected = normalize(await real.transact(ops));
    const got = normalize(await ours.transact(ops));
    t.same(got, expected, stringifyJson(ops).slice(0, 200));
  }
  const realRecords = real.records().slice(1).map(normalize);
  t.same(records.map(normalize), realRecords, 'storage records match the real database file');
});
