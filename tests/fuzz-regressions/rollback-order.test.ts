// Found by the transaction fuzzer (tests/fuzz/transact-target.ts): a transaction that deletes a
// row and then fails at commit (here: referential integrity) is rolled back with the same data,
// but the deleted row comes back at the END of its table's row order, so snapshotRecord() (and
// with it compaction output, select and dump order) is no longer byte-identical to before the
// failed transaction. The rule is "a failed transaction leaves the database byte-identical".
import t from 'tap';
import { freshTransactDb } from '../fuzz/transact-target.js';

t.test('a failed transaction leaves snapshotRecord byte-identical (row order included)', async (t) => {
  const db = await freshTransactDb();
  const snap = (): string => { const s = db.snapshotRecord(); delete s._date; return JSON.stringify(s); };
  const before = snap();
  const res = await db.transact([{ op: 'delete', table: 'Interface', where: [['name', '==', 'p1']] }]);
  t.match(res[1], { error: 'referential integrity violation' }, 'the delete fails at commit (Port p1 still references it)');
  t.equal(snap(), before, 'snapshot byte-identical after the rollback');
});
