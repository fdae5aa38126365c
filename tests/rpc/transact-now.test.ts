// The synchronous transact path: MemoryDatabase.transactNow answers a transaction that does not
// wait, and leaves one that waits untouched (the server then waits for it as before).
import t from 'tap';
import type { Json } from '../../engine/ovsdb/api.js';
import { createDatabase } from '../../engine/ovsdb/database.js';
import { parseSchema } from '../../engine/ovsdb/schema.js';
import { startServer, TEST_SCHEMA } from './helpers.js';

const insert = (name: string): Json => ({ op: 'insert', table: 'A', row: { name } });
const waitFor = (name: string, timeout: number): Json => ({
  op: 'wait', table: 'A', where: [['name', '==', name]], columns: ['name'], until: '==', rows: [{ name }], timeout,
});

t.test('transactNow: results at once, or undefined with nothing changed when the transaction waits', async (t) => {
  const db = createDatabase(parseSchema(TEST_SCHEMA));
  const r = db.transactNow([insert('a')]);
  t.ok(Array.isArray(r) && r.length === 1 && typeof r[0] === 'object' && r[0] !== null && 'uuid' in r[0], 'insert answered synchronously');
  t.equal([...db.rows('A')].length, 1);
  t.equal(db.transactNow([insert('b'), waitFor('zzz', 5000)]), undefined, 'a blocked wait gives undefined');
  t.same([...db.rows('A')].map((row) => row.name), ['a'], 'the blocked attempt changed nothing');
  const timedOut = db.transactNow([waitFor('zzz', 0)]);
  t.match(timedOut, [{ error: 'timed out' }], 'a wait with timeout 0 fails at once, as transact does');
  const bad = db.transactNow([{ op: 'insert', table: 'Nope', row: {} }]);
  t.match(bad, [{ error: 'syntax error' }], 'errors come back as results, as from transact');
});

t.test('server: a transact that waits is still answered after the commit it waits for', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const c = await h.connect();
  const blocked = c.transact('T', [waitFor('x', 10000), insert('after-wait')]);
  const done = await c.transact('T', [insert('x')]);
  t.equal(done.length, 1);
  const r = await blocked;
  t.match(r, [{}, { uuid: ['uuid', String] }], 'the waiting transaction ran once the row existed');
  t.same([...h.db.rows('A')].map((row) => row.name).sort(), ['after-wait', 'x']);
});
