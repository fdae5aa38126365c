// RFC 7047 integers are int64: JSON text in and out keeps every digit of integers beyond 2^53
// (engine/util/json-int64.ts), and the OVSDB core stores, compares, mutates and persists them
// exactly, the file reading back the same values.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeInteger, parseJson, stringifyJson } from '../../engine/util/json-int64.js';
import { parseOvsJson } from '../../engine/util/ovs-json.js';
import { parseSchema } from '../../engine/ovsdb/schema.js';
import { createDatabase } from '../../engine/ovsdb/database.js';
import { createDatabaseFile, openDatabaseFile } from '../../engine/ovsdb/file-db.js';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';

t.test('parseJson: bigints only beyond 2^53 and inside int64', async (t) => {
  const v = parseJson('{"a":[9223372036854775807,-9223372036854775808,9007199254740993,9007199254740991,-9007199254740993]}') as JsonObject;
  t.same(v.a, [9223372036854775807n, -9223372036854775808n, 9007199254740993n, 9007199254740991, -9007199254740993n]);
  t.equal(typeof (v.a as Json[])[3], 'number', 'a safe integer stays a number');
  // Beyond int64 a literal is a double, as OVS's parser makes it a real.
  t.equal(parseJson('[9223372036854775808]')![0 as never], 9223372036854775808);
  t.equal(parseJson('[18446744073709551616]')![0 as never], 18446744073709551616);
  // Strings, fractions and exponents are not integers.
  t.same(parseJson('["9223372036854775807","a\\"9223372036854775807",1.12345678901234567,1e12345678901234567,12345678901234567e1]'),
    ['9223372036854775807', 'a"9223372036854775807', 1.1234567890123457, Infinity, 12345678901234567e1]);
  t.same(parseJson('{"9223372036854775807":9223372036854775807}'), { '9223372036854775807': 9223372036854775807n }, 'a member name stays a string');
  t.throws(() => parseJson('[9223372036854775807'), SyntaxError, 'text that is not JSON gets JSON.parse\'s error');
  t.throws(() => parseJson('[09223372036854775807]'), SyntaxError, 'leading zeros are still refused');
  t.same(parseJson('[1,2]'), [1, 2]);
});

t.test('stringifyJson writes bigints as integer literals, else as JSON.stringify', async (t) => {
  t.equal(stringifyJson([9223372036854775807n, -9223372036854775808n, 1, 'x']), '[9223372036854775807,-9223372036854775808,1,"x"]');
  t.equal(stringifyJson({ a: 9007199254740993n, s: '\u0000int64:' }), '{"a":9007199254740993,"s":"\\u0000int64:"}');
  t.equal(stringifyJson({ a: [9007199254740993n] }, 1), '{\n "a": [\n  9007199254740993\n ]\n}');
  t.equal(stringifyJson({ a: 1 }), '{"a":1}');
  const text = '{"x":[9223372036854775807,{"y":-9007199254740993}],"z":"9007199254740993"}';
  t.equal(stringifyJson(parseJson(text)), text, 'round trip');
  t.equal(normalizeInteger(5n), 5);
  t.equal(normalizeInteger(9007199254740993n), 9007199254740993n);
});

t.test("OVS's JSON parser (command-line JSON) keeps int64 too", async (t) => {
  t.same(parseOvsJson('[9223372036854775807, -9223372036854775808, 9007199254740993, 1e17, 9223372036854775808]'),
    [9223372036854775807n, -9223372036854775808n, 9007199254740993n, 100000000000000000n, 9223372036854775808]);
});

const schemaJson = {
  name: 'I', version: '1.0.0', tables: {
    T: { isRoot: true, columns: {
      n: { type: 'integer' },
      pos: { type: { key: { type: 'integer', minInteger: 0 } } },
      m: { type: { key: 'string', value: 'integer', min: 0, max: 'unlimited' } },
      s: { type: { key: 'integer', min: 0, max: 'unlimited' } },
      r: { type: 'real' },
    } },
  },
};
const MAX = 9223372036854775807n;
const MIN = -9223372036854775808n;

t.test('the database stores, compares and mutates int64 exactly', async (t) => {
  const db = createDatabase(parseSchema(schemaJson));
  const ins = await db.transact([{ op: 'insert', table: 'T', row: {
    n: MAX, pos: 9007199254740993n, m: ['map', [['a', MIN], ['b', 1e17]]], s: ['set', [9007199254740993n, 9007199254740992, 100000000000000000n]], r: 9007199254740993n,
  } }]);
  t.notOk((ins[0] as JsonObject).error, 'insert');
  const sel = async (where: Json[]): Promise<Json[]> => ((await db.transact([{ op: 'select', table: 'T', where, columns: ['n', 'pos', 'm', 's', 'r'] }]))[0] as JsonObject).rows as Json[];
  t.same(await sel([]), [{
    n: MAX, pos: 9007199254740993n,
    m: ['map', [['a', MIN], ['b', 100000000000000000n]]],
    s: ['set', [9007199254740992, 9007199254740993n, 100000000000000000n]],
    r: 9007199254740992,
  }], '1e17 and 100000000000000000 are one atom; a real column takes the nearest double');
  t.equal((await sel([['n', '==', MAX]])).length, 1);
  t.equal((await sel([['n', '==', MAX - 1n]])).length, 0, 'a neighbour beyond 2^53 is another value');
  t.equal((await sel([['n', '>', MAX - 1n]])).length, 1);
  t.equal((await sel([['pos', '<', 9007199254740994n]])).length, 1);
  t.equal((await sel([['pos', '<', 9007199254740993n]])).length, 0);
  t.equal((await sel([['s', 'includes', ['set', [9007199254740993n]]]])).length, 1);
  t.equal((await sel([['m', 'includes', ['map', [['a', MIN]]]]])).length, 1);

  const mutate = (mutations: Json[]): Promise<Json[]> => db.transact([{ op: 'mutate', table: 'T', where: [], mutations }]);
  t.same(await mutate([['n', '-=', 9007199254740993n]]), [{ count: 1 }]);
  t.equal(((await sel([]))[0] as JsonObject).n, 9214364837600034814n, 'mutate is exact');
  const over = await mutate([['n', '+=', 9007199254740993n], ['n', '+=', 1]]);
  t.equal((over[0] as JsonObject).error, 'range error', 'INT64_MAX + 1 is out of range');
  t.equal(((await sel([]))[0] as JsonObject).n, 9214364837600034814n, 'and the failed transaction changed nothing');
  t.same(await mutate([['n', '/=', 9214364837600034814n]]), [{ count: 1 }]);
  t.equal(((await sel([]))[0] as JsonObject).n, 1, 'a result that fits becomes a number again');

  const bad = await db.transact([{ op: 'update', table: 'T', where: [], row: { pos: MIN } }]);
  t.equal((bad[0] as JsonObject).error, 'constraint violation');
  t.match((bad[0] as JsonObject).details, '-9223372036854775808 is less than minimum allowed value 0');
  const real = await db.transact([{ op: 'update', table: 'T', where: [], row: { n: 9223372036854775808 } }]);
  t.same(real[0], { error: 'syntax error', details: 'expected integer', syntax: '9.22337203685478e+18' }, 'beyond int64 is a real, as OVS says');
});

t.test('a database file keeps int64 values across a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-int64-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'i.db');
  await createDatabaseFile(path, schemaJson);
  const db = await openDatabaseFile(path);
  await db.transact([{ op: 'insert', table: 'T', row: { n: MAX, m: ['map', [['x', MIN]]] } }]);
  await db.close();
  const again = await openDatabaseFile(path);
  t.teardown(() => again.close());
  const rows = ((await again.transact([{ op: 'select', table: 'T', where: [], columns: ['n', 'm'] }]))[0] as JsonObject).rows;
  t.same(rows, [{ n: MAX, m: ['map', [['x', MIN]]] }]);
});
