// The transaction corpus and normalization shared by the differential and replay tests.
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { stringifyJson } from '../../engine/util/json-int64.js';

export const schemaPath = join(projectRoot, 'tests', 'ovsdb', 'fixtures', 'diff.ovsschema');
export const U = (n: number): string => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;
const fixed = new Set(Array.from({ length: 100 }, (_, i) => U(i)));
fixed.add('00000000-0000-0000-0000-000000000000');

/** Masks uuids that are random on each side (_version, generated rows) and sorts select rows. */
export function normalize(j: Json): Json {
  if (typeof j === 'string' && j.startsWith('Transaction causes multiple rows')) {
    // OVS orders the two rows by comparing all columns, including the random _version, so which
    // one is "First" is random on its side: compare the two descriptions as a set.
    const m = /^(.*?\.)  First (row, .*?)  Second (row, .*)$/.exec(j);
    if (m) return normalize(`${m[1]}  ${[m[2]!, m[3]!].sort().join('  ')}`);
  }
  if (typeof j === 'string') {
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(j) && !fixed.has(j)) return '<uuid>';
    return j.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (u) => (fixed.has(u) ? u : '<uuid>'));
  }
  if (Array.isArray(j)) return j.map(normalize);
  if (j && typeof j === 'object') {
    const o: JsonObject = {};
    for (const k of Object.keys(j).sort()) {
      if (k === '_date') continue;
      o[fixed.has(k) || !/^[0-9a-f]{8}-/.test(k) ? k : '<uuid>'] = normalize(j[k]!);
    }
    if (Array.isArray(o.rows)) o.rows = [...o.rows].sort((a, b) => (stringifyJson(a) < stringifyJson(b) ? -1 : 1));
    return o;
  }
  return j;
}

const other = (n: number, v: number | bigint): Json => ({ op: 'insert', table: 'Other', uuid: U(n), row: { v } });
const root = (n: number, name: string, extra: JsonObject = {}): Json =>
  ({ op: 'insert', table: 'Root', uuid: U(n), row: { name, weak1: ['uuid', U(1)], ...extra } });

export const corpus: Json[][] = [
  [other(1, 1), other(2, 2), other(3, 3)],
  [root(10, 'a', { s: ['set', ['z', 'b', 'a']], m: ['map', [['y', 2], ['x', 1]]], i: 5, r: 1.5, b: true, fixed: 'f', eph: 4 })],
  [{ op: 'select', table: 'Root', where: [] }],
  [{ op: 'select', table: 'Root', where: [['name', '==', 'a']], columns: ['name', 's', 'm', 'i', 'eph'] }],
  [root(11, 'a')],
  [root(12, 'zz', { i: 2000 })],
  [root(12, 'zz', { i: -6 })],
  [root(12, 'zz', { color: 'pink' })],
  [root(12, 'zz', { ints: ['set', [1, 2, 3, 4, 5]] })],
  [root(12, 'zz', { s: ['set', ['a', 'a']] })],
  [root(12, 'zz', { nope: 1 })],
  [root(12, 'zz', { name: 5 })],
  [{ op: 'insert', table: 'Root', uuid: U(12), row: { name: 'nw' } }],
  [{ op: 'insert', table: 'Nope', row: {} }],
  [{ op: 'insert', table: 'Root' }],
  [{ op: 'insert', table: 'Root', row: {}, extra: 1 }],
  [{ op: 'bogus' }],
  [{ table: 'Root' }],
  ['x'],
  [root(10, 'dup-uuid')],
  [{ op: 'insert', table: 'Other', uuid: 'xyz', row: { v: 1 } }],
  [{ op: 'insert', table: 'Other', uuid: U(20), 'uuid-name': 'o', row: { v: 1 } }, { op: 'insert', table: 'Other', uuid: U(21), 'uuid-name': 'o', row: { v: 2 } }],
  [{ op: 'insert', table: 'Other', 'uuid-name': '1bad', row: { v: 1 } }],
  [{ op: 'update', table: 'Root', where: [['name', '==', 'a']], row: { fixed: 'g' } }],
  [{ op: 'update', table: 'Root', where: [['name', '==', 'a']], row: { _uuid: ['uuid', U(5)] } }],
  [{ op: 'update', table: 'Root', where: [['name', '==', 'a']], row: { s: 'one', eph: 9 } }, { op: 'comment', comment: 'first' }, { op: 'comment', comment: 'second' }],
  [{ op: 'update', table: 'Root', where: [['name', '==', 'a']], row: { s: 'one' } }],
  [{ op: 'mutate', table: 'Root', where: [['name', '==', 'a']], mutations: [['i', '+=', 10], ['m', 'insert', ['map', [['x', 9], ['w', 0]]]], ['s', 'insert', ['set', ['q', 'r']]]] }],
  [{ op: 'mutate', table: 'Root', where: [], mutations: [['i', '/=', 0]] }],
  [{ op: 'mutate', table: 'Root', where: [], mutations: [['r', '/=', 0]] }],
  [{ op: 'mutate', table: 'Root', where: [], mutations: [['i', '%=', 0]] }],
  [{ op: 'mutate', table: 'Root', where: [], mutations: [['r', '%=', 2]] }],
  [{ op: 'mutate', table: 'Root', where: [], mutations: [['i', '*=', 1000]] }],
  [{ op: 'mutate', table: 'Root', where: [], mutations: [['r', '*=', 1e308]] }, { op: 'mutate', table: 'Root', where: [], mutations: [['r', '*=', 1e308]] }],
  [{ op: 'mutate', table: 'Root', where: [], mutations: [['name', 'insert', 'x']] }],
  [{ op: 'mutate', table: 'Root', where: [], mutations: [['fixed', '+=', 1]] }],
  [{ op: 'mutate', table: 'Root', where: [], mutations: [['ints', 'insert', ['set', [1, 2, 3, 4]]]] }, { op: 'mutate', table: 'Root', where: [], mutations: [['ints', 'insert', 9]] }],
  [{ op: 'mutate', table: 'Root', where: [], mutations: [['m', 'delete', ['set', ['x']]], ['m', 'delete', ['map', [['y', 3], ['w', 0]]]]] }],
  [{ op: 'mutate', table: 'Root', where: [], mutations: [['m', 'frob', 1]] }],
  [{ op: 'mutate', table: 'Root', where: [], mutations: [['s', 'delete', 'one']] }],
  [{ op: 'select', table: 'Root', where: [['i', '<', 100], ['i', '>=', 0], ['r', '!=', 3]], columns: ['name', 'i', 'm', 's'] }],
  [{ op: 'select', table: 'Root', where: [['s', 'includes', ['set', ['q']]], ['m', 'excludes', ['map', [['y', 1]]]]], columns: ['name'] }],
  [{ op: 'select', table: 'Root', where: [['s', '<', 1]] }],
  [{ op: 'select', table: 'Root', where: [['nope', '==', 1]] }],
  [{ op: 'select', table: 'Root', where: [['name', 'like', 'a']] }],
  [{ op: 'select', table: 'Root', where: [['name', '==']] }],
  [{ op: 'select', table: 'Root', where: [], columns: ['name', 'name'] }],
  [{ op: 'select', table: 'Root', where: [], columns: ['zzz'] }],
  [{ op: 'select', table: 'Other', where: [true], columns: ['v'], sort: ['v'] }],
  [{ op: 'insert', table: 'Kid', uuid: U(30), row: { label: 'k1' } }, { op: 'select', table: 'Kid', where: [] }],
  [{ op: 'select', table: 'Kid', where: [] }],
  [{ op: 'insert', table: 'Kid', uuid: U(30), row: { label: '' } }],
  [{ op: 'insert', table: 'Kid', uuid: U(30), row: { label: 'much-too-long' } }],
  [{ op: 'insert', table: 'Kid', uuid: U(31), 'uuid-name': 'k', row: { label: 'k2', peer: ['named-uuid', 'k'] } },
    { op: 'mutate', table: 'Root', where: [['name', '==', 'a']], mutations: [['kids', 'insert', ['set', [['named-uuid', 'k']]]]] }],
  [{ op: 'insert', table: 'Kid', uuid: U(32), 'uuid-name': 'k3', row: { label: 'k3', peer: ['uuid', U(31)] } },
    { op: 'update', table: 'Root', where: [['name', '==', 'a']], row: { kids: ['named-uuid', 'k3'] } }],
  [{ op: 'delete', table: 'Kid', where: [['label', '==', 'k3']] }],
  [{ op: 'update', table: 'Root', where: [['name', '==', 'a']], row: { kids: ['uuid', U(99)] } }],
  [{ op: 'update', table: 'Root', where: [['name', '==', 'a']], row: { kids: ['set', []] } }],
  [{ op: 'select', table: 'Kid', where: [] }],
  [root(13, 'b', { weak: ['set', [['uuid', U(2)], ['uuid', U(3)], ['uuid', U(98)]]], weak1: ['uuid', U(2)] })],
  [{ op: 'delete', table: 'Other', where: [['v', '==', 3]] }],
  [{ op: 'select', table: 'Root', where: [['name', '==', 'b']], columns: ['weak', 'weak1'] }],
  [{ op: 'delete', table: 'Other', where: [['v', '==', 2]] }],
  [root(14, 'c'), root(15, 'd')],
  [root(14, 'c')],
  [root(15, 'd')],
  [{ op: 'insert', table: 'Root', uuid: U(16), row: { name: 'e' } }],
  [{ op: 'wait', table: 'Root', where: [['name', '==', 'a']], columns: ['name'], until: '==', rows: [{ name: 'a' }], timeout: 0 },
    { op: 'wait', table: 'Root', where: [['name', '==', 'a']], columns: ['name'], until: '!=', rows: [], timeout: 0 }],
  [{ op: 'wait', table: 'Root', where: [['name', '==', 'a']], columns: ['name'], until: '==', rows: [{ name: 'b' }], timeout: 0 }],
  [{ op: 'wait', table: 'Root', where: [], until: 'x', rows: [], timeout: 0 }],
  [{ op: 'wait', table: 'Root', where: [], until: '==', rows: [], timeout: -1 }],
  [{ op: 'commit', durable: false }, { op: 'comment', comment: 'c' }],
  [{ op: 'commit' }],
  [{ op: 'abort' }, { op: 'insert', table: 'Other', row: { v: 1 } }],
  [{ op: 'assert', lock: 'mylock' }],
  [{ op: 'delete', table: 'Root', where: [['name', '==', 'c']] }, { op: 'select', table: 'Root', where: [], columns: ['name'] }],
  [{ op: 'update', table: 'Root', where: [['name', '==', 'd']], row: { name: 'a' } }],
  [{ op: 'update', table: 'Root', where: [['name', '==', 'd']], row: { name: 'a' } }, { op: 'update', table: 'Root', where: [['_uuid', '==', ['uuid', U(10)]]], row: { name: 'd' } }],
  [{ op: 'select', table: 'Root', where: [], columns: ['_uuid', 'name'] }],
  // Garbage collection, weak references that empty a required column, named-uuid corner cases.
  [{ op: 'insert', table: 'Kid', uuid: U(40), row: { label: 'gc' } }, { op: 'select', table: 'Kid', where: [['label', '==', 'gc']] }],
  [{ op: 'select', table: 'Kid', where: [['label', '==', 'gc']] }],
  [{ op: 'insert', table: 'Other', uuid: U(41), row: { v: 41 } }],
  [root(42, 'w1', { weak1: ['uuid', U(41)] })],
  [{ op: 'delete', table: 'Other', where: [['v', '==', 41]] }],
  [{ op: 'insert', table: 'Root', uuid: U(43), row: { name: 'nk', kids: ['named-uuid', 'missing'], weak1: ['uuid', U(1)] } }],
  [{ op: 'insert', table: 'Root', uuid: U(43), row: { name: 'nk', weak: ['named-uuid', 'missing'], weak1: ['uuid', U(1)] } }, { op: 'select', table: 'Root', where: [['name', '==', 'nk']], columns: ['weak'] }],
  [{ op: 'delete', table: 'Root', where: [['name', '==', 'nk']] }],
  [{ op: 'insert', table: 'Other', uuid: U(44), 'uuid-name': 'x', row: { v: 44 } }, { op: 'insert', table: 'Other', uuid: U(44), row: { v: 45 } }],
  [{ op: 'delete', table: 'Other', where: [['v', '==', 1]] }, { op: 'insert', table: 'Other', uuid: U(1), row: { v: 1 } }],
  [{ op: 'insert', table: 'Other', uuid: U(45), row: { v: 'x' } }],
  [{ op: 'insert', table: 'Other', uuid: U(45), row: [] }],
  [{ op: 'update', table: 'Other', where: [['v', '==', 2]], row: { v: 3 } }, { op: 'delete', table: 'Other', where: [['v', '==', 3]] }],
  [{ op: 'mutate', table: 'Other', where: [['v', '>', 0]], mutations: [['v', '+=', 100]] }, { op: 'select', table: 'Other', where: [], columns: ['v'], sort: ['v'] }],
  [{ op: 'mutate', table: 'Other', where: [['v', '>', 0]], mutations: [] }],
  [{ op: 'mutate', table: 'Other', where: [], mutations: [['v', '+=']] }],
  [{ op: 'mutate', table: 'Other', where: [], mutations: [['v', '+=', 'a']] }],
  [{ op: 'mutate', table: 'Other', where: [], mutations: [['v', 'insert', 1]] }],
  [{ op: 'mutate', table: 'Root', where: [], mutations: [['ints', '-=', 1], ['i', '+=', -1000]] }],
  [{ op: 'mutate', table: 'Root', where: [], mutations: [['i', '-=', 10]] }],
  [{ op: 'update', table: 'Root', where: [['i', '<', 1000]], row: { i: ['set', []], r: -0.5, color: 'red' } }, { op: 'select', table: 'Root', where: [['color', 'includes', 'red']], columns: ['i', 'r', 'color'] }],
  [{ op: 'select', table: 'Root', where: [['i', '==', ['set', []]], ['color', '!=', 'blue']], columns: ['name'] }],
  [{ op: 'select', table: 'Root', where: [['r', '<=', -0.5], ['b', '==', false]], columns: ['name'] }],
  [{ op: 'select', table: 'Root', where: [['_uuid', '==', ['uuid', U(10)]]], columns: ['name'] }],
  [{ op: 'select', table: 'Root', where: [['_uuid', '!=', ['uuid', U(10)]]], columns: ['name'] }],
  [{ op: 'select', table: 'Root', where: [['kids', 'includes', ['set', []]]], columns: ['name'] }],
  [{ op: 'select', table: 'Root', where: [['m', '==', ['map', []]]], columns: ['name'] }],
  [{ op: 'select', table: 'Root', where: [['weak1', '==', 'x']] }],
  [{ op: 'select', table: 'Root', where: [['s', '==', ['set', ['a', 'a']]]] }],
  [{ op: 'select', table: 'Root', where: 'x' }],
  [{ op: 'select', table: 'Root', where: [], columns: 'name' }],
  [{ op: 'select', table: 'Root', where: [], sort: ['nope'] }],
  [{ op: 'select', table: 'Root', where: [], columns: ['b'] }],
  [{ op: 'wait', table: 'Root', where: [['name', '==', 'a']], until: '==', rows: [{ name: 'a' }], timeout: 0 }],
  [{ op: 'wait', table: 'Root', where: [], columns: ['name'], until: '==', rows: [{ zzz: 1 }], timeout: 0 }],
  [{ op: 'wait', table: 'Root', where: [], columns: ['name'], until: '==', rows: 'x', timeout: 0 }],
  [{ op: 'comment' }],
  [{ op: 'comment', comment: 5 }],
  [{ op: 'commit', durable: 'yes' }],
  [{ op: 'assert' }],
  [{ op: 'assert', lock: 'bad lock' }],
  [{ op: 'abort', extra: true }],
  [{ op: 5 }],
  [{ op: 'delete', table: 'Root' }],
  [{ op: 'delete', where: [] }],
  [{ op: 'update', table: 'Root', where: [], row: { fixed: 'x', name: 'q' } }],
  [{ op: 'update', table: 'Root', where: [['name', '==', 'nobody']], row: { name: 'q' } }],
  [{ op: 'update', table: 'Root', where: [], row: { nope: 1 } }],
  [{ op: 'insert', table: 'Root', uuid: U(50), row: { name: 'n50', weak1: ['uuid', U(1)], kids: ['set', [['uuid', U(31)], ['uuid', U(31)]]] } }],
  [{ op: 'insert', table: 'Root', uuid: U(50), row: { name: 'n50', weak1: ['uuid', U(1)], m: ['map', [['a', 1], ['b', 'x']]] } }],
  [{ op: 'insert', table: 'Root', uuid: U(50), row: { name: 'n50', weak1: ['uuid', U(1)], color: ['set', ['red', 'blue']] } }],
  [{ op: 'insert', table: 'Root', uuid: U(50), row: { name: 'n50', weak1: ['uuid', U(1)], s: ['set', 'x'] } }],
  [{ op: 'insert', table: 'Root', uuid: U(50), row: { name: 'n50', weak1: ['uuid', U(1)], s: ['map', []] } }],
  [{ op: 'insert', table: 'Root', uuid: U(50), row: { name: 'n50', weak1: ['uuid', U(1)], r: 'NaN' } }],
  [{ op: 'insert', table: 'Root', uuid: U(50), row: { name: 'n\u00e9\t"q', weak1: ['uuid', U(1)], s: ['set', ['é', 'e', 'z', 'E']] } }, { op: 'select', table: 'Root', where: [['_uuid', '==', ['uuid', U(50)]]], columns: ['name', 's'] }],
  [{ op: 'delete', table: 'Root', where: [['_uuid', '==', ['uuid', U(50)]]] }],
  // int64 beyond 2^53 (bigints here, integer literals on the wire): stored, compared, mutated and
  // reported exactly, out of int64 a real.
  [other(60, 9223372036854775807n), other(61, -9223372036854775808n), other(62, 9007199254740993n)],
  [{ op: 'select', table: 'Other', where: [['v', '>', 9007199254740992n]], columns: ['v'] }],
  [{ op: 'select', table: 'Other', where: [['v', '==', 9223372036854775806n]], columns: ['v'] }],
  [{ op: 'select', table: 'Other', where: [['v', '<', -9223372036854775807n]], columns: ['v'] }],
  [{ op: 'mutate', table: 'Other', where: [['_uuid', '==', ['uuid', U(62)]]], mutations: [['v', '*=', 1024], ['v', '-=', 9223372036854775807n]] }, { op: 'select', table: 'Other', where: [['_uuid', '==', ['uuid', U(62)]]], columns: ['v'] }],
  [{ op: 'mutate', table: 'Other', where: [['_uuid', '==', ['uuid', U(60)]]], mutations: [['v', '+=', 1]] }],
  [{ op: 'mutate', table: 'Other', where: [['_uuid', '==', ['uuid', U(61)]]], mutations: [['v', '/=', -1]] }],
  [{ op: 'update', table: 'Other', where: [['_uuid', '==', ['uuid', U(60)]]], row: { v: 9223372036854775808 } }],
  [{ op: 'update', table: 'Root', where: [], row: { i: 9223372036854775807n } }],
  [{ op: 'update', table: 'Root', where: [['name', '==', 'a']], row: { m: ['map', [['big', 9007199254740993n]]] } }, { op: 'select', table: 'Root', where: [['m', 'includes', ['map', [['big', 9007199254740993n]]]]], columns: ['m'] }],
  [{ op: 'delete', table: 'Other', where: [['v', '>', 9007199254740991]] }, { op: 'delete', table: 'Other', where: [['v', '<', -9007199254740991]] }],
];
