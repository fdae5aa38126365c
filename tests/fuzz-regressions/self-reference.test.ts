// Found by the transaction fuzzer (tests/fuzz/transact-target.ts): an inserted row may reference
// ITSELF through its own uuid-name in a column whose refTable is a DIFFERENT table (Bridge.mirrors
// -> Mirror), and the commit accepts it: the database then holds a strong reference to a Mirror
// row that does not exist (integrity broken, and the log file records it). The same reference to
// a row of the wrong table through another named uuid is rejected ("referential integrity
// violation ... references nonexistent row ... in table Mirror"), as OVS does in both cases.
import t from 'tap';
import { freshTransactDb } from '../fuzz/transact-target.js';
import { checkIntegrity } from '../soak/integrity.js';

t.test('a row cannot reference itself in a column that refers to another table', async (t) => {
  const db = await freshTransactDb();
  const res = await db.transact([
    { op: 'insert', table: 'Bridge', 'uuid-name': 'n0', row: { name: 'brx', mirrors: ['named-uuid', 'n0'] } },
    { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', ['set', [['named-uuid', 'n0']]]]] },
  ]);
  t.match(res.at(-1), { error: 'referential integrity violation' }, 'the commit is rejected');
  t.same(checkIntegrity(db, db.schema), [], 'the database keeps its integrity');
});

t.test('control: a reference to a row of the wrong table through another named uuid is rejected', async (t) => {
  const db = await freshTransactDb();
  const res = await db.transact([
    { op: 'insert', table: 'Interface', 'uuid-name': 'n1', row: { name: 'q1' } },
    { op: 'update', table: 'Bridge', where: [['name', '==', 'br0']], row: { mirrors: ['named-uuid', 'n1'] } },
  ]);
  t.match(res.at(-1), { error: 'referential integrity violation' }, 'the commit is rejected');
  t.same(checkIntegrity(db, db.schema), [], 'the database keeps its integrity');
});
