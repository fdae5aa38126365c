// A JSON array kept as its text and parsed one element at a time: the operations of a big
// transaction (what a JSON-RPC "transact" carries after the database name) need not all exist as
// objects at once; each one is parsed when the transaction reaches it and dies young.
import type { Json } from './api.js';
import { InvalidInputError } from '../util/errors.js';
import { parseJson } from '../util/json-int64.js';

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const BATCH = 256;

export class JsonArrayText {
  /** Start and end offset of element i at [2i] and [2i + 1]. */
  private readonly bounds: Uint32Array;
  readonly length: number;

  /** Finds the elements of the JSON array `text` (its brackets, commas and strings; the elements
   *  themselves are checked when parsed, see get and check). Throws InvalidInputError naming the
   *  offset of the first problem. */
  constructor(private readonly text: string) {
    const spans: number[] = [];
    const n = text.length;
    let i = skipWs(text, 0);
    if (text.charCodeAt(i) !== 0x5b) throw bad(i, 'a JSON array');
    i = skipWs(text, i + 1);
    if (text.charCodeAt(i) === 0x5d) {
      i = skipWs(text, i + 1);
    } else {
      for (;;) {
        const start = i;
        let depth = 0;
        for (; i < n; i++) {
          const c = text.charCodeAt(i);
          if (c === 0x22) {
            i = stringEnd(text, i + 1);
          } else if (c === 0x5b || c === 0x7b) {
            depth++;
          } else if (c === 0x5d || c === 0x7d) {
            if (depth === 0) break;
            depth--;
          } else if (c === 0x2c && depth === 0) {
            break;
          }
        }
        if (i >= n) throw bad(n, "',' or ']'");
        let end = i;
        while (end > start && WS.has(text.charCodeAt(end - 1))) end--;
        if (end === start) throw bad(start, 'an array element');
        spans.push(start, end);
        if (text.charCodeAt(i) !== 0x2c) break;
        i = skipWs(text, i + 1);
      }
      if (text.charCodeAt(i) !== 0x5d) throw bad(i, "']'");
      i = skipWs(text, i + 1);
    }
    if (i !== n) throw bad(i, 'the end of the text');
    this.bounds = Uint32Array.from(spans);
    this.length = spans.length / 2;
  }

  /** Elements batchFrom.. parsed together (one JSON.parse per BATCH elements is cheaper). */
  private batch: Json[] = [];
  private batchFrom = 0;

  /** Element i, parsed (BATCH elements at a time, so asking for an element again may give the same
   *  object again: callers must not change it). Throws InvalidInputError when it is not valid JSON. */
  get(i: number): Json {
    const k = i - this.batchFrom;
    if (k >= 0 && k < this.batch.length) return this.batch[k]!;
    const last = Math.min(this.length, i + BATCH) - 1;
    try {
      this.batch = parseJson(`[${this.text.slice(this.bounds[2 * i]!, this.bounds[2 * last + 1]!)}]`) as Json[];
      this.batchFrom = i;
      if (this.batch.length === last - i + 1) return this.batch[0]!;
    } catch {
      // Find the bad element below.
    }
    this.batch = [];
    return this.parseOne(i);
  }

  private parseOne(i: number): Json {
    const start = this.bounds[2 * i]!;
    try {
      return parseJson(this.text.slice(start, this.bounds[2 * i + 1]!));
    } catch (e) {
      throw new InvalidInputError(`transaction text: element ${i + 1} at offset ${start} is not valid JSON: ${(e as Error).message}`);
    }
  }

  /** Parses elements from..length-1 only to check them (see get). */
  check(from: number): void {
    for (let i = from; i < this.length; i++) this.get(i);
    this.batch = [];
  }
}

/** Offset of the closing quote of the string whose text starts at `i` (or the text's length). */
function stringEnd(text: string, i: number): number {
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return text.length;
    let bs = 0;
    while (text.charCodeAt(q - 1 - bs) === 0x5c) bs++;
    if (bs % 2 === 0) return q;
    i = q + 1;
  }
}

function skipWs(text: string, i: number): number {
  while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  return i;
}

function bad(at: number, expected: string): InvalidInputError {
  return new InvalidInputError(`transaction text: expected ${expected} at offset ${at}`);
}
