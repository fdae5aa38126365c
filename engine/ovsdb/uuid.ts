// Random (version 4) UUIDs as flat strings. crypto.randomUUID() in Node 20 builds its result by
// concatenating hex pieces, which leaves a tree of ~14 rope nodes (about 450 bytes) behind every
// UUID until something flattens it; a database keeps two UUIDs per row (_uuid, _version), so that
// doubled the memory of a large table. Here the text is written into a byte buffer and decoded
// once, which yields one flat 36-character string.
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 16 * 256;
const pool = Buffer.alloc(POOL_BYTES);
let poolPos = POOL_BYTES;
const text = Buffer.alloc(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Offsets of the 32 hex digits within the 36 characters (dashes at 8, 13, 18, 23). */
const DIGIT_AT = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35];
text.fill(0x2d); // '-'

/** A new random UUID (RFC 4122 version 4), lower case. */
export function newUuid(): string {
  if (poolPos === POOL_BYTES) {
    randomFillSync(pool);
    poolPos = 0;
  }
  const p = poolPos;
  poolPos += 16;
  pool[p + 6] = (pool[p + 6]! & 0x0f) | 0x40; // version 4
  pool[p + 8] = (pool[p + 8]! & 0x3f) | 0x80; // RFC 4122 variant
  for (let i = 0; i < 16; i++) {
    const b = pool[p + i]!;
    text[DIGIT_AT[2 * i]!] = HEX[b >> 4]!;
    text[DIGIT_AT[2 * i + 1]!] = HEX[b & 15]!;
  }
  return text.toString('latin1', 0, 36);
}
