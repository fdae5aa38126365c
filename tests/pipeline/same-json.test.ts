// sameJson: the comparison revalidation uses to decide whether a megaflow's mask or actions changed.
import t from 'tap';
import { sameJson } from '../../engine/pipeline/pipeline.js';

t.test('equal values', async (t) => {
  t.ok(sameJson({ a: 1, b: [1, 2n, 'x'] }, { b: [1, 2n, 'x'], a: 1 }), 'key order does not matter');
  t.ok(sameJson({ a: 1, u: undefined }, { a: 1 }), 'undefined keys are absent keys');
  t.ok(sameJson(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 3])), 'bytes by content');
  t.ok(sameJson([{ output: 3 }, { setField: { eth: { src: Buffer.from('aabbccddeeff', 'hex') } } }],
    [{ output: 3 }, { setField: { eth: { src: Buffer.from('aabbccddeeff', 'hex') } } }]), 'nested action lists');
  t.ok(sameJson(null, null) && sameJson([], []) && sameJson({}, {}), 'empties');
});

t.test('different values', async (t) => {
  t.notOk(sameJson({ a: 1 }, { a: 2 }), 'value');
  t.notOk(sameJson({ a: 1 }, { a: 1, b: 0 }), 'extra key');
  t.notOk(sameJson({ a: 1, b: 0 }, { a: 1 }), 'missing key');
  t.notOk(sameJson([1, 2], [1, 2, 3]), 'array length');
  t.notOk(sameJson([1, 2], [2, 1]), 'array order');
  t.notOk(sameJson(1n, 1), 'bigint is not number');
  t.notOk(sameJson(Buffer.from([1, 2]), Buffer.from([1, 3])), 'bytes');
  t.notOk(sameJson(Buffer.from([1, 2]), [1, 2]), 'bytes are not an array');
  t.notOk(sameJson({ a: null }, { a: undefined }), 'null is not absent');
  t.notOk(sameJson([], {}), 'array is not object');
});
