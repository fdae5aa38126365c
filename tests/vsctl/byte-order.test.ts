// byteCompare orders names as OVS does (UTF-8 bytes, strcmp): JavaScript's own order below U+D800,
// bytes above. Checked against Buffer.compare on strings that mix ASCII, BMP characters on both
// sides of the surrogate range, and astral characters (surrogate pairs).
import t from 'tap';
import fc from 'fast-check';
import { byteCompare } from '../../engine/vsctl/schema.js';

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);
const bytes = (a: string, b: string): number => sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
const pieces = ['a', 'b', 'br0', 'Z', '_', '0', 'é', 'ü', '\u07ff', '\ud7ff', '\ue000', '\uff5e', '\uffff', '🐧', '𝄞', '\u{10ffff}'];

t.test('byteCompare agrees with UTF-8 byte order', async (t) => {
  const name = fc.array(fc.constantFrom(...pieces), { maxLength: 5 }).map((xs) => xs.join(''));
  let checked = 0;
  fc.assert(fc.property(name, name, (a, b) => {
    checked++;
    return sign(byteCompare(a, b)) === bytes(a, b);
  }), { numRuns: 5000, seed: 7 });
  t.equal(checked, 5000, 'pairs checked');
  t.equal(sign(byteCompare('\ue000', '🐧')), -1, 'U+E000 sorts before an astral character, as in UTF-8 (UTF-16 order is the reverse)');
  t.same(['b', 'a', 'ab', 'B', '_x'].sort(byteCompare), ['B', '_x', 'a', 'ab', 'b'], 'ASCII names: strcmp order');
});
