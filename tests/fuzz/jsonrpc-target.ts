// Fuzz target: the JSON-RPC stream splitter and message classifier (engine/rpc/jsonrpc.ts).
//  - valid streams (random JSON values, random whitespace, cut into random chunks): the splitter
//    returns exactly the values, unless one breaks a size/depth limit, which must then be reported
//    as OVS_E_JSON_LIMIT;
//  - garbage (random bytes, mutated valid streams): only OVS_E_JSON_SYNTAX / OVS_E_JSON_LIMIT
//    escape, and a failed splitter stays failed;
//  - every value it returns goes through parseMessage: only OVS_E_JSONRPC_PROTOCOL escapes, and the
//    kind it reports matches the members.
import fc from 'fast-check';
import type { Json } from '../../engine/ovsdb/api.js';
import { JsonSplitter, parseMessage } from '../../engine/rpc/jsonrpc.js';
import { parseJson, stringifyJson } from '../../engine/util/json-int64.js';
import { bufFromJson, bufToJson, expectTyped, FuzzFailure, type FuzzTarget } from './harness.js';

export interface SplitterInput {
  /** The byte stream, already cut into chunks. */
  chunks: Uint8Array[];
  /** Values the stream encodes when it is a valid stream (undefined for garbage). */
  values?: Json[];
  maxMessageBytes?: number;
  maxDepth?: number;
}

function depthOf(v: Json): number {
  if (v === null || typeof v !== 'object') return 0;
  let d = 0;
  for (const x of Array.isArray(v) ? v : Object.values(v)) d = Math.max(d, depthOf(x));
  return d + 1;
}

function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const ps = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of ps) { out.push(bytes.subarray(prev, p)); prev = p; }
  out.push(bytes.subarray(prev));
  return out;
}

const ws = fc.constantFrom('', ' ', '\n', '\t', '\r\n', '  \n ');
const message: fc.Arbitrary<Json> = fc.oneof(
  fc.record({ id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), method: fc.string(), params: fc.array(fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>, { maxLength: 4 }) }),
  fc.record({ id: fc.integer(), result: fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>, error: fc.constant(null) }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 5 }) as fc.Arbitrary<Json>, { maxKeys: 5 }) as fc.Arbitrary<Json>,
  fc.array(fc.jsonValue({ maxDepth: 5 }) as fc.Arbitrary<Json>, { maxLength: 5 }),
  fc.integer({ min: 1, max: 40 }).map((d) => { let v: Json = []; for (let i = 1; i < d; i++) v = i % 2 ? [v] : { k: v }; return v; }),
);

const validStream: fc.Arbitrary<SplitterInput> = fc.record({
  values: fc.array(fc.tuple(message, ws), { minLength: 1, maxLength: 6 }),
  lead: ws,
  points: fc.array(fc.nat(), { maxLength: 8 }),
  limit: fc.option(fc.record({ maxMessageBytes: fc.integer({ min: 1, max: 400 }), maxDepth: fc.integer({ min: 1, max: 12 }) }), { freq: 3 }),
}).map(({ values, lead, points, limit }) => {
  const text = lead + values.map(([v, w]) => JSON.stringify(v) + w).join('');
  const bytes = Buffer.from(text, 'utf8');
  return { chunks: cut(bytes, points), values: values.map(([v]) => parseJson(JSON.stringify(v))), ...(limit ?? {}) };
});

const mutation = fc.tuple(fc.nat(), fc.constantFrom('flip', 'insert', 'delete', 'dup'), fc.integer({ min: 0, max: 255 }));
const garbageStream: fc.Arbitrary<SplitterInput> = fc.oneof(
  fc.record({ bytes: fc.uint8Array({ maxLength: 200 }), points: fc.array(fc.nat(), { maxLength: 5 }) })
    .map(({ bytes, points }) => ({ chunks: cut(bytes, points) })),
  fc.record({ s: fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', ',', ':', ' ', 'a', '1', 'é', '\u0000', 'u') , maxLength: 60 }), points: fc.array(fc.nat(), { maxLength: 5 }) })
    .map(({ s, points }) => ({ chunks: cut(Buffer.from(s, 'utf8'), points) })),
  fc.record({ v: validStream, muts: fc.array(mutation, { minLength: 1, maxLength: 4 }) }).map(({ v, muts }) => {
    let b = Buffer.concat(v.chunks);
    for (const [pos, kind, byte] of muts) {
      const p = b.length ? pos % b.length : 0;
      if (kind === 'flip' && b.length) { b = Buffer.from(b); b[p] = byte; }
      else if (kind === 'insert') b = Buffer.concat([b.subarray(0, p), Buffer.from([byte]), b.subarray(p)]);
      else if (kind === 'delete' && b.length) b = Buffer.concat([b.subarray(0, p), b.subarray(p + 1)]);
      else if (kind === 'dup') b = Buffer.concat([b, b.subarray(p)]);
    }
    return { chunks: cut(b, [muts[0]![0], muts[0]![2] * 7]), maxMessageBytes: v.maxMessageBytes, maxDepth: v.maxDepth };
  }),
);

function checkMessage(v: Json): void {
  if (v === null || typeof v !== 'object') throw new FuzzFailure(`splitter returned a non-container value ${stringifyJson(v)}`);
  try {
    const m = parseMessage(v);
    const o = v as Record<string, Json>;
    if ((m.kind === 'request' || m.kind === 'notification') && typeof o.method !== 'string') throw new FuzzFailure(`parseMessage said ${m.kind} without a string method`);
    if (m.kind === 'reply' && (o.result === undefined || (o.error !== undefined && o.error !== null))) throw new FuzzFailure('parseMessage said reply but result/error do not fit');
  } catch (e) {
    if (e instanceof FuzzFailure) throw e;
    expectTyped(e, 'parseMessage', ['OVS_E_JSONRPC_PROTOCOL']);
  }
}

export const jsonrpcTarget: FuzzTarget<SplitterInput> = {
  name: 'jsonrpc-splitter',
  arbitrary: () => fc.oneof({ arbitrary: validStream, weight: 2 }, { arbitrary: garbageStream, weight: 3 }),
  check(input) {
    const s = new JsonSplitter({ maxMessageBytes: input.maxMessageBytes, maxDepth: input.maxDepth });
    const out: Json[] = [];
    let failed: unknown;
    for (const c of input.chunks) {
      try {
        out.push(...s.push(c));
      } catch (e) {
        failed = e;
        expectTyped(e, 'JsonSplitter.push', ['OVS_E_JSON_SYNTAX', 'OVS_E_JSON_LIMIT']);
        break;
      }
    }
    if (failed !== undefined) {
      let again: unknown;
      try { s.push(Buffer.from('{}')); } catch (e) { again = e; }
      if (again !== failed) throw new FuzzFailure('a failed splitter accepted more input instead of staying failed');
    }
    for (const v of out) checkMessage(v);
    if (input.values) {
      const maxBytes = input.maxMessageBytes ?? Infinity;
      const maxDepth = input.maxDepth ?? Infinity;
      const breaks = input.values.some((v) => Buffer.byteLength(stringifyJson(v)) > maxBytes || depthOf(v) > maxDepth);
      if (breaks) {
        if (!(failed && (failed as { code?: string }).code === 'OVS_E_JSON_LIMIT')) {
          throw new FuzzFailure(`a message over the limits (bytes ${maxBytes}, depth ${maxDepth}) was not reported as OVS_E_JSON_LIMIT (got ${failed ? (failed as Error).message : 'no error'})`);
        }
      } else {
        if (failed) throw new FuzzFailure('a valid stream within the limits was rejected', failed);
        if (stringifyJson(out) !== stringifyJson(input.values)) {
          throw new FuzzFailure(`splitter returned ${stringifyJson(out).slice(0, 300)} for ${stringifyJson(input.values).slice(0, 300)}`);
        }
        if (!s.idle) throw new FuzzFailure('splitter not idle after a complete stream');
      }
    }
  },
  toJson: (i) => ({ chunks: i.chunks.map(bufToJson), values: i.values ?? null, maxMessageBytes: i.maxMessageBytes ?? null, maxDepth: i.maxDepth ?? null }),
  fromJson(j) {
    const o = j as Record<string, Json>;
    return {
      chunks: (o.chunks as Json[]).map(bufFromJson),
      ...(o.values !== null ? { values: o.values as Json[] } : {}),
      ...(o.maxMessageBytes !== null ? { maxMessageBytes: o.maxMessageBytes as number } : {}),
      ...(o.maxDepth !== null ? { maxDepth: o.maxDepth as number } : {}),
    };
  },
};
