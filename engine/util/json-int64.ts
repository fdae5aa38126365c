// JSON text with OVSDB's 64-bit integers. RFC 7047 integers are int64, but JSON.parse reads every
// number as a double, which rounds integers beyond 2^53 (9223372036854775807 would come back as
// 9223372036854775808, silently another value). Here an integer literal outside JavaScript's safe
// range but inside int64 becomes a bigint; every other number stays a JS number, so values that
// fit (nearly all of them) keep one representation and `===` still compares them. Beyond int64 a
// literal is a double, as OVS's own parser makes it a real.
//
// Both directions keep the native fast path: parseJson calls JSON.parse unless the text holds a
// run of 16 or more digits, and stringifyJson calls JSON.stringify, which throws on a bigint
// before it writes anything, and only then walks the value itself.
import type { Json } from '../ovsdb/api.js';

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** An integer as the Json/atom value it is stored as: a number when it is exact as one, else a
 *  bigint (the caller has checked the int64 range). */
export function normalizeInteger(x: bigint): number | bigint {
  return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}

/** Is `x` an integer in int64's range (a safe-integer number or a bigint)? */
export function isInt64(x: unknown): x is number | bigint {
  if (typeof x === 'number') return Number.isSafeInteger(x);
  return typeof x === 'bigint' && x >= INT64_MIN && x <= INT64_MAX;
}

// A string literal (skipped whole), or an integer literal of 16+ digits that is a whole token:
// not after a digit, point, sign or exponent, not followed by a fraction or exponent.
const BIG_LITERAL = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?[1-9]\d{15,}(?![\d.eE])/g;
const MAY_HOLD = /\d{16}/;

/** JSON.parse(text), except that integer literals beyond 2^53 inside int64 are bigints. Throws
 *  JSON.parse's own SyntaxError for text that is not JSON. Text with such a literal is parsed
 *  twice, the second time with each literal marked as a string. */
export function parseJson(text: string): Json {
  return preciseJson(text, JSON.parse(text) as Json);
}

/** `plain` (what JSON.parse made of `text`, which must be JSON) with its integers beyond 2^53 as
 *  parseJson reads them: `plain` itself when the text has no such literal. */
export function preciseJson(text: string, plain: Json): Json {
  if (!MAY_HOLD.test(text)) return plain;
  // The text is JSON (it parsed), so the scan below sees whole strings and tokens.
  const marker = `\u0000int64:${Math.random().toString(36).slice(2)}:`;
  let found = false;
  const marked = text.replace(BIG_LITERAL, (tok) => {
    if (tok.charCodeAt(0) === 0x22) return tok;
    const n = BigInt(tok);
    if (n > INT64_MAX || n < INT64_MIN || normalizeInteger(n) !== n) return tok;
    found = true;
    return `"\\u0000${marker.slice(1)}${tok}"`;
  });
  return found ? unmark(JSON.parse(marked) as Json, marker) : plain;
}

function unmark(v: Json, marker: string): Json {
  if (typeof v === 'string') return v.startsWith(marker) ? BigInt(v.slice(marker.length)) : v;
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = unmark(v[i]!, marker);
    return v;
  }
  for (const k of Object.keys(v)) v[k] = unmark(v[k]!, marker);
  return v;
}

/** JSON.stringify(v, null, indent), with bigints written as integer literals. */
export function stringifyJson(v: unknown, indent?: number | string): string {
  try {
    return JSON.stringify(v, null, indent);
  } catch (e) {
    if (!(e instanceof TypeError) || !/BigInt/i.test(e.message)) throw e;
  }
  const marker = `\u0000int64:${Math.random().toString(36).slice(2)}:`;
  const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${marker}${x}` : x), indent);
  // JSON.stringify writes the marker's NUL as \u0000; a string can only hold this text if it came
  // from the marker, whose random part no input knows.
  const written = JSON.stringify(marker).slice(1, -1);
  return text.split(`"${written}`).map((part, i) => (i === 0 ? part : part.replace(/^(-?\d+)"/, '$1'))).join('');
}
