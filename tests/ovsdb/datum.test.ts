import t from 'tap';
import fc from 'fast-check';
import {
  applyDatumDiffJson, checkDatumJson, compareStrings, datumEqualJson, datumFromJson, datumToJson, defaultDatumJson,
  diffDatumJson, formatG,
} from '../../engine/ovsdb/datum.js';
import { OvsdbError } from '../../engine/ovsdb/errors.js';
import type { ColumnType, BaseType } from '../../engine/ovsdb/schema.js';
import type { Json } from '../../engine/ovsdb/api.js';

const b = (type: BaseType['type'], extra: Partial<BaseType> = {}): BaseType => ({ type, refType: 'strong', ...extra });
const scalar = (key: BaseType): ColumnType => ({ key, min: 1, max: 1 });
const set = (key: BaseType, min = 0, max = Infinity): ColumnType => ({ key, min, max });
const map = (key: BaseType, value: BaseType, min = 0, max = Infinity): ColumnType => ({ key, value, min, max });

function errorOf(fn: () => unknown): OvsdbError | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof OvsdbError) return e;
    throw e;
  }
  return undefined;
}

t.test('wire form: sets sorted as OVS sorts, single-element sets bare, maps always tagged', async (t) => {
  t.same(datumToJson(set(b('integer')), datumFromJson(set(b('integer')), ['set', [10, -2, 3]])), ['set', [-2, 3, 10]]);
  t.same(datumToJson(set(b('real')), datumFromJson(set(b('real')), ['set', [1.5, 1, -0.5]])), ['set', [-0.5, 1, 1.5]]);
  t.same(datumToJson(set(b('string')), datumFromJson(set(b('string')), ['set', ['b', 'B', 'a', 'é', '\u{1F600}', '\uFFFD']])),
    ['set', ['B', 'a', 'b', 'é', '\uFFFD', '\u{1F600}']], 'strings in UTF-8 byte order');
  t.same(datumToJson(set(b('boolean')), datumFromJson(set(b('boolean')), ['set', [true, false]])), ['set', [false, true]]);
  const u1 = '0000000a-0000-0000-0000-000000000000';
  const u2 = '00000009-ffff-0000-0000-000000000000';
  t.same(datumToJson(set(b('uuid')), datumFromJson(set(b('uuid')), ['set', [['uuid', u1], ['uuid', u2.toUpperCase()]]])), ['set', [['uuid', u2], ['uuid', u1]]]);
  t.same(datumToJson(set(b('string')), datumFromJson(set(b('string')), ['set', ['x']])), 'x', 'one element: bare atom');
  t.same(datumToJson(set(b('string')), datumFromJson(set(b('string')), 'x')), 'x', 'bare atom accepted for a set');
  t.same(datumToJson(set(b('string')), datumFromJson(set(b('string')), ['set', []])), ['set', []]);
  const m = map(b('string'), b('integer'));
  t.same(datumToJson(m, datumFromJson(m, ['map', [['b', 2], ['a', 1]]])), ['map', [['a', 1], ['b', 2]]]);
  t.same(datumToJson(m, datumFromJson(m, ['map', [['a', 1]]])), ['map', [['a', 1]]]);
  t.same(defaultDatumJson(scalar(b('uuid'))), ['uuid', '00000000-0000-0000-0000-000000000000']);
  t.same(defaultDatumJson(scalar(b('real'))), 0);
  t.same(defaultDatumJson(set(b('string'))), ['set', []]);
  t.same(defaultDatumJson(map(b('string'), b('string'))), ['map', []]);
  t.ok(compareStrings('a', 'b') < 0 && compareStrings('b', 'a') > 0 && compareStrings('a', 'a') === 0 && compareStrings('a', 'ab') < 0);
});

t.test('syntax and constraint errors with OVS wording', async (t) => {
  const cases: [ColumnType, Json, string, string | RegExp][] = [
    [scalar(b('integer')), 'x', 'syntax error', 'expected integer'],
    [scalar(b('integer')), 1.5, 'syntax error', 'expected integer'],
    [scalar(b('real')), true, 'syntax error', 'expected real'],
    [scalar(b('boolean')), 1, 'syntax error', 'expected boolean'],
    [scalar(b('string')), 1, 'syntax error', 'expected string'],
    [scalar(b('uuid')), 'abc', 'syntax error', 'expected ["uuid", <string>]'],
    [scalar(b('uuid')), ['uuid', 'abc'], 'syntax error', '"abc" is not a valid UUID'],
    [scalar(b('uuid')), ['named-uuid', 'x'], 'syntax error', 'expected ["uuid", <string>]'],
    [scalar(b('string')), ['set', ['a', 'b']], 'syntax error', 'set must have exactly one member but 2 are present'],
    [set(b('string'), 1, 2), ['set', []], 'syntax error', 'set must have 1 to 2 members but 0 are present'],
    [set(b('string')), ['set', ['a', 'a']], 'ovsdb error', 'set contains duplicate'],
    [map(b('string'), b('integer')), ['map', [['a', 1], ['a', 2]]], 'ovsdb error', 'map contains duplicate key'],
    [map(b('string'), b('integer')), ['set', []], 'syntax error', 'expected ["map", <array>]'],
    [map(b('string'), b('integer')), ['map', [['a']]], 'syntax error', 'expected 2-element array'],
    [scalar(b('integer', { minInteger: 1 })), 0, 'constraint violation', '0 is less than minimum allowed value 1'],
    [scalar(b('integer', { maxInteger: 9 })), 10, 'constraint violation', '10 is greater than maximum allowed value 9'],
    [scalar(b('integer', { minInteger: 1, maxInteger: 9 })), 10, 'constraint violation', '10 is not in the valid range 1 to 9 (inclusive)'],
    [scalar(b('real', { minReal: 0.5 })), 0.25, 'constraint violation', '0.25 is less than minimum allowed value 0.5'],
    [scalar(b('string', { minLength: 2 })), 'é', 'constraint violation', '"é" length 1 is less than minimum allowed length 2'],
    [scalar(b('string', { maxLength: 1 })), 'ab', 'constraint violation', '"ab" length 2 is greater than maximum allowed length 1'],
    [scalar(b('string', { enum: ['b', 'a c'] })), 'z', 'constraint violation', 'z is not one of the allowed values ([a c, b])'.replace('a c', '"a c"')],
    [scalar(b('integer', { enum: [3] })), 4, 'constraint violation', '4 is not one of the allowed values (3)'],
  ];
  for (const [type, json, error, details] of cases) {
    const e = errorOf(() => checkDatumJson(type, json));
    t.equal(e?.error, error, `${JSON.stringify(json)} -> ${error}`);
    t.equal(e?.details, details);
  }
  const e = errorOf(() => checkDatumJson(scalar(b('integer')), 'x'));
  t.same(e?.toJson(), { error: 'syntax error', details: 'expected integer', syntax: '"x"' });
  t.equal(errorOf(() => checkDatumJson(set(b('integer'), 0, 2), ['set', [1, 2]])), undefined);
});

t.test('diffs: scalar and optional -> new value, set -> symmetric difference, map -> changed pairs', async (t) => {
  const s = set(b('string'));
  t.same(diffDatumJson(s, ['set', ['a', 'b']], ['set', ['b', 'c']]), ['set', ['a', 'c']]);
  t.same(applyDatumDiffJson(s, ['set', ['a', 'b']], ['set', ['a', 'c']]), ['set', ['b', 'c']]);
  const m = map(b('string'), b('integer'));
  const oldM: Json = ['map', [['a', 1], ['b', 2], ['c', 3]]];
  const newM: Json = ['map', [['b', 2], ['c', 4], ['d', 5]]];
  const d = diffDatumJson(m, oldM, newM);
  t.same(d, ['map', [['a', 1], ['c', 4], ['d', 5]]]);
  t.same(applyDatumDiffJson(m, oldM, d), newM, 'old + diff = new');
  const opt = set(b('integer'), 0, 1);
  t.same(diffDatumJson(opt, 1, 2), 2, 'optional scalar: new value');
  t.same(diffDatumJson(opt, 1, ['set', []]), ['set', []]);
  t.same(diffDatumJson(scalar(b('string')), 'x', 'y'), 'y');
  t.ok(datumEqualJson(s, ['set', ['b', 'a']], ['set', ['a', 'b']]));
  t.notOk(datumEqualJson(s, 'a', ['set', ['a', 'b']]));
  const limited = set(b('integer'), 1, 2);
  const err = errorOf(() => applyDatumDiffJson(limited, ['set', [1, 2]], 3));
  t.equal(err?.details, 'Datum crated by diff has size error');
});

t.test('reals print as C %.15g', async (t) => {
  t.equal(formatG(0.1), '0.1');
  t.equal(formatG(1), '1');
  t.equal(formatG(1e20), '1e+20');
  t.equal(formatG(1.5e-7), '1.5e-07');
  t.equal(formatG(123456.789), '123456.789');
  t.equal(formatG(1 / 3), '0.333333333333333');
});

// datumFromJson sorts what it reads (sortDatum): already sorted, sorted but for the last element
// (moved by binary search: a set read and one element appended, as ovs-vsctl add-br sends), or
// anything else (full sort). Each must give what a plain sort gives, duplicates refused alike.
t.test('sets and maps in any order: sorted as a full sort would, duplicates refused', async (t) => {
  const uuids = Array.from({ length: 12 }, (_, i) => `0000000${i.toString(16)}-0000-4000-8000-000000000000`);
  const keyArb = fc.constantFrom(...uuids);
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const shapes = fc.oneof(
    fc.uniqueArray(keyArb, { maxLength: 12 }).map((xs) => xs.sort(cmp)), // sorted
    fc.tuple(fc.uniqueArray(keyArb, { maxLength: 11 }), keyArb).map(([xs, x]) => [...xs.sort(cmp), x]), // sorted + one appended (maybe a duplicate)
    fc.array(keyArb, { maxLength: 12 }), // anything
  );
  let runs = 0;
  fc.assert(fc.property(shapes, fc.boolean(), (keys, asMap) => {
    runs++;
    const type = asMap ? map(b('uuid', { refType: 'weak' }), b('integer')) : set(b('uuid', { refType: 'weak' }));
    const json: Json = asMap ? ['map', keys.map((k, i) => [['uuid', k], i])] : ['set', keys.map((k) => ['uuid', k])];
    const dup = new Set(keys).size !== keys.length;
    const err = errorOf(() => datumFromJson(type, json));
    if (dup) return err !== undefined && /duplicate/.test(err.details ?? err.message);
    if (err) return false;
    const got = datumToJson(type, datumFromJson(type, json));
    const order = keys.map((k, i) => [k, i] as const).sort((x, y) => cmp(x[0], y[0]));
    const want: Json = asMap ? ['map', order.map(([k, i]) => [['uuid', k], i])]
      : order.length === 1 ? ['uuid', order[0]![0]] : ['set', order.map(([k]) => ['uuid', k])];
    return JSON.stringify(got) === JSON.stringify(want);
  }), { numRuns: 3000, seed: 11 });
  t.equal(runs, 3000, 'cases checked');
});
