import t from 'tap';
import { compileWhere, parseCondition, evalClauses } from '../../engine/ovsdb/condition.js';
import { parseMutation, applyMutation } from '../../engine/ovsdb/mutation.js';
import { parseSchema } from '../../engine/ovsdb/schema.js';
import { datumFromJson, datumToJson, defaultDatumJson } from '../../engine/ovsdb/datum.js';
import { OvsdbError } from '../../engine/ovsdb/errors.js';
import type { Json, RowJson } from '../../engine/ovsdb/api.js';
import { stringifyJson } from '../../engine/util/json-int64.js';

const schema = parseSchema({
  name: 'C', tables: {
    T: {
      columns: {
        i: { type: 'integer' }, r: { type: 'real' }, b: { type: 'boolean' }, s: { type: 'string' },
        oi: { type: { key: 'integer', min: 0, max: 1 } },
        si: { type: { key: { type: 'integer', maxInteger: 100 }, min: 0, max: 'unlimited' } },
        ss: { type: { key: 'string', min: 0, max: 3 } },
        m: { type: { key: 'string', value: 'string', min: 0, max: 'unlimited' } },
        u: { type: { key: 'uuid', min: 0, max: 1 } },
        fixed: { type: 'integer', mutable: false },
      },
    },
  },
});
const T = schema.tables.get('T')!;
const row: RowJson = { i: 5, r: 2.5, b: true, s: 'abc', oi: ['set', []], si: ['set', [1, 2, 3]], ss: 'x', m: ['map', [['a', '1'], ['b', '2']]] };

function err(fn: () => unknown): OvsdbError | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof OvsdbError) return e;
    throw e;
  }
  return undefined;
}

t.test('conditions on every function and type', async (t) => {
  const cases: [Json, boolean][] = [
    [['i', '<', 6], true], [['i', '<', 5], false], [['i', '<=', 5], true], [['i', '==', 5], true], [['i', '!=', 5], false],
    [['i', '>=', 6], false], [['i', '>', 4], true], [['r', '>', 2], true], [['r', '==', 2.5], true],
    [['i', 'includes', 5], true], [['i', 'excludes', 5], false], [['b', '==', true], true], [['s', '!=', 'abd'], true],
    [['oi', '<', 1], false], [['oi', '>', 1], false], [['oi', '==', ['set', []]], true], [['oi', 'excludes', 3], true],
    [['si', 'includes', ['set', [1, 3]]], true], [['si', 'includes', ['set', [1, 4]]], false],
    [['si', 'excludes', ['set', [4, 5]]], true], [['si', 'excludes', ['set', [3, 5]]], false],
    [['si', '==', ['set', [3, 2, 1]]], true], [['si', '!=', ['set', [1, 2]]], true],
    [['m', 'includes', ['map', [['a', '1']]]], true], [['m', 'includes', ['map', [['a', '2']]]], false],
    [['m', 'excludes', ['map', [['a', '2']]]], true], [['m', 'excludes', ['map', [['b', '2']]]], false],
    [['m', '==', ['map', [['b', '2'], ['a', '1']]]], true],
    [['ss', 'includes', ['set', []]], true], [['u', '==', ['set', []]], true],
    [true, true], [false, false],
  ];
  for (const [c, want] of cases) t.equal(compileWhere(T, [c])(row), want, JSON.stringify(c));
  t.equal(compileWhere(T, [])(row), true, 'empty where matches everything');
  t.equal(compileWhere(T, [['i', '==', 5], ['s', '==', 'x']])(row), false, 'clauses are ANDed');
  t.equal(compileWhere(T, [['fixed', '==', 0]])({}), true, 'a missing column compares as its default');
  const clauses = parseCondition(T, [['si', 'includes', 2]]);
  const fields = [...T.columns.values()].map((c) => datumFromJson(c.type, row[c.name] ?? defaultDatumJson(c.type), undefined, true));
  t.equal(evalClauses(clauses, fields), true);
});

t.test('condition errors', async (t) => {
  const cases: [Json, string, string][] = [
    [['si', '<', 1], 'syntax error', 'Type mismatch: "<" operator may not be applied to column si of type set of integers.'],
    [['s', '>', 'a'], 'syntax error', 'Type mismatch: ">" operator may not be applied to column s of type string.'],
    [['m', '<=', 1], 'syntax error', 'Type mismatch: "<=" operator may not be applied to column m of type map of (string, string) pairs.'],
    [['nope', '==', 1], 'unknown column', 'No column nope in table T.'],
    [['i', 'like', 1], 'unknown function', 'No function named like.'],
    [['i', '=='], 'syntax error', 'Parse error in condition.'],
    [['i', '==', 'x'], 'syntax error', 'expected integer'],
    [['oi', '<', ['set', []]], 'syntax error', 'set must have exactly one member but 0 are present'],
  ];
  for (const [c, e, d] of cases) {
    const x = err(() => compileWhere(T, [c]));
    t.equal(x?.error, e, JSON.stringify(c));
    t.equal(x?.details, d);
  }
  t.equal(err(() => compileWhere(T, {} as Json))?.error, 'syntax error');
});

function mutate(col: string, m: string, arg: Json, value: Json): Json {
  const mu = parseMutation(T, [col, m, arg]);
  const type = T.columns.get(col)!.type;
  return datumToJson(type, applyMutation(mu, datumFromJson(type, value)));
}

t.test('mutators', async (t) => {
  t.equal(mutate('i', '+=', 2, 5), 7);
  t.equal(mutate('i', '-=', 7, 5), -2);
  t.equal(mutate('i', '*=', 3, 5), 15);
  t.equal(mutate('i', '/=', 2, -7), -3, 'integer division truncates toward zero');
  t.equal(mutate('i', '%=', 3, -7), -1, 'remainder takes the sign of the dividend');
  t.equal(mutate('r', '*=', 2, 1.25), 2.5);
  t.equal(mutate('r', '/=', 4, 1), 0.25);
  t.same(mutate('si', '+=', 10, ['set', [1, 2]]), ['set', [11, 12]]);
  t.same(mutate('oi', '+=', 1, ['set', []]), ['set', []]);
  t.same(mutate('si', 'insert', ['set', [5, 1]], ['set', [1, 2]]), ['set', [1, 2, 5]]);
  t.same(mutate('si', 'delete', ['set', [1, 9]], ['set', [1, 2]]), 2);
  t.same(mutate('m', 'insert', ['map', [['a', 'new'], ['c', '3']]], ['map', [['a', '1']]]), ['map', [['a', '1'], ['c', '3']]], 'insert keeps existing keys');
  t.same(mutate('m', 'delete', ['map', [['a', 'x'], ['b', '2']]], ['map', [['a', '1'], ['b', '2']]]), ['map', [['a', '1']]], 'delete pairs only when value matches');
  t.same(mutate('m', 'delete', ['set', ['a']], ['map', [['a', '1'], ['b', '2']]]), ['map', [['b', '2']]], 'delete by keys');
});

t.test('mutation errors', async (t) => {
  const cases: [string, string, Json, Json, string, string][] = [
    ['i', '/=', 0, 5, 'domain error', 'Division by zero.'],
    ['i', '%=', 0, 5, 'domain error', 'Division by zero.'],
    ['r', '/=', 0, 5, 'domain error', 'Division by zero.'],
    ['i', '+=', 1, 9223372036854775807n, 'range error', 'Result of "+=" operation is out of range.'],
    ['i', '*=', 4611686018427387904, 4, 'range error', 'Result of "*=" operation is out of range.'],
    ['i', '-=', 9223372036854775807n, -9223372036854775807n, 'range error', 'Result of "-=" operation is out of range.'],
    ['r', '*=', 1e308, 1e308, 'range error', 'Result of "*=" operation is out of range.'],
    ['si', '+=', 100, ['set', [1]], 'constraint violation', '101 is greater than maximum allowed value 100'],
    ['si', '*=', 0, ['set', [1, 2]], 'constraint violation', 'Result of "*=" operation contains duplicates.'],
    ['ss', 'insert', ['set', ['a', 'b', 'c']], 'x', 'constraint violation', 'Attempted to store 4 elements in set of up to 3 strings.'],
  ];
  for (const [c, m, arg, v, e, d] of cases) {
    const x = err(() => mutate(c, m, arg, v));
    t.equal(x?.error, e, `${c} ${m} ${stringifyJson(arg)}`);
    t.equal(x?.details, d);
  }
  const parseCases: [Json, string, string][] = [
    [['r', '%=', 1], 'syntax error', 'Type mismatch: "%=" operator may not be applied to column r of type real.'],
    [['s', '+=', 'a'], 'syntax error', 'Type mismatch: "+=" operator may not be applied to column s of type string.'],
    [['i', 'insert', 1], 'syntax error', 'Type mismatch: "insert" operator may not be applied to column i of type integer.'],
    [['m', '+=', 1], 'syntax error', 'Type mismatch: "+=" operator may not be applied to column m of type map of (string, string) pairs.'],
    [['fixed', '+=', 1], 'constraint violation', 'Cannot mutate immutable column fixed in table T.'],
    [['_uuid', '+=', 1], 'constraint violation', 'Cannot mutate immutable column _uuid in table T.'],
    [['nope', '+=', 1], 'unknown column', 'No column nope in table T.'],
    [['i', '^=', 1], 'unknown mutator', 'No mutator named ^=.'],
    [['i', '+='], 'syntax error', 'Parse error in mutation.'],
    [['ss', 'insert', ['set', ['a', 'b', 'c', 'd']]], 'syntax error', 'set must have 0 to 3 members but 4 are present'],
  ];
  for (const [m, e, d] of parseCases) {
    const x = err(() => parseMutation(T, m));
    t.equal(x?.error, e, JSON.stringify(m));
    t.equal(x?.details, d);
  }
});
