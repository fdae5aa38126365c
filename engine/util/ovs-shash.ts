// The iteration order of an OVS `shash` (string-keyed hmap), for output that OVS prints in that
// order: ovsdb-tool's members of a parsed JSON object, ovs-vsctl's row-id symbol table. The order
// OVS's hmap gives after inserting the keys in order: hash_string() (murmur-style mhash over 32-bit
// little-endian words, basis 0, as Debian's x86-64 build has it, without SSE 4.2), insertion at the
// head of bucket (hash & mask), and a rehash into calc_mask(n) buckets whenever n / 2 exceeds the
// mask.
function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function mhashAdd(hash: number, data: number): number {
  if (data !== 0) {
    let d = Math.imul(data, 0xcc9e2d51);
    d = rotl(d, 15);
    d = Math.imul(d, 0x1b873593);
    hash = (hash ^ d) >>> 0;
  }
  hash = rotl(hash, 13);
  return (Math.imul(hash, 5) + 0xe6546b64) >>> 0;
}

function ovsHashString(s: string): number {
  const b = Buffer.from(s, 'utf8');
  let h = 0;
  let i = 0;
  for (; i + 4 <= b.length; i += 4) h = mhashAdd(h, b.readUInt32LE(i));
  if (i < b.length) {
    let tmp = 0;
    for (let j = 0; i + j < b.length; j++) tmp |= b[i + j]! << (8 * j);
    h = mhashAdd(h, tmp >>> 0);
  }
  h = (h ^ b.length) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

function calcMask(capacity: number): number {
  let mask = Math.floor(capacity / 2);
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  mask |= (mask & 1) << 1;
  return mask;
}

/** `keys` (in insertion order) in the order OVS iterates them. */
export function ovsShashOrder(keys: readonly string[]): string[] {
  let mask = 0;
  let buckets: { key: string; hash: number }[][] = [[]];
  let n = 0;
  for (const key of keys) {
    const hash = ovsHashString(key);
    buckets[(hash & mask) >>> 0]!.unshift({ key, hash });
    n++;
    if (Math.floor(n / 2) > mask) {
      const newMask = calcMask(n);
      if (newMask > mask) {
        const next: { key: string; hash: number }[][] = Array.from({ length: newMask + 1 }, () => []);
        for (const chain of buckets) for (const node of chain) next[(node.hash & newMask) >>> 0]!.unshift(node);
        buckets = next;
        mask = newMask;
      }
    }
  }
  return buckets.flatMap((chain) => chain.map((node) => node.key));
}

type JsonLike = null | boolean | number | bigint | string | JsonLike[] | { [k: string]: JsonLike };

/** A copy of `json` whose objects list their members in the order OVS serialises them without
 *  JSSF_SORT (the shash order of their current member order, taken as OVS's insertion order), so
 *  that JSON.stringify writes the bytes OVS would. */
export function inShashOrder<T extends JsonLike>(json: T): T {
  if (Array.isArray(json)) return json.map((e) => inShashOrder(e)) as T;
  if (json === null || typeof json !== 'object') return json;
  const o = json as { [k: string]: JsonLike };
  const out: { [k: string]: JsonLike } = {};
  for (const k of ovsShashOrder(Object.keys(o))) out[k] = inShashOrder(o[k]!);
  return out as T;
}
