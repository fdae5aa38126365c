// The OVSDB differential corpus (tests/corpus/ovsdb/*.json): each file names a schema and lists
// transactions run in order against a fresh database. Each transaction carries `expect`, the
// outcome its author intended ("ok" or the RFC 7047/OVS error string of the first failure), which
// the real ovsdb-server confirms, so the corpus provably covers the cases it claims to cover.
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { UuidMapper, canonicalDatum, sortKeys } from './normalize.js';
import { parseJson, stringifyJson } from '../../engine/util/json-int64.js';

export const corpusDir = join(projectRoot, 'tests', 'corpus', 'ovsdb');

export interface CorpusTransaction {
  expect: string;
  note?: string;
  /** Set where we deliberately differ from ovsdb-server 3.1; says why. The test then checks the
   *  two results still differ (so the note is removed when either side changes). */
  knownDifference?: string;
  ops: Json[];
}

export interface CorpusFile {
  file: string;
  schemaPath: string;
  schemaJson: JsonObject;
  db: string;
  transactions: CorpusTransaction[];
}

export function listCorpusFiles(): string[] {
  return readdirSync(corpusDir).filter((f) => f.endsWith('.json')).sort().map((f) => join(corpusDir, f));
}

export function loadCorpusFile(path: string): CorpusFile {
  const raw = parseJson(readFileSync(path, 'utf8')) as unknown as { schema: string; transactions: CorpusTransaction[] };
  const schemaPath = raw.schema === 'vswitch'
    ? join(projectRoot, 'manifests', 'vswitch.ovsschema')
    : resolve(dirname(path), raw.schema);
  const schemaJson = parseJson(readFileSync(schemaPath, 'utf8')) as JsonObject;
  for (const [i, t] of raw.transactions.entries()) {
    if (typeof t.expect !== 'string' || !Array.isArray(t.ops)) throw new Error(`${path}: transaction ${i} needs "expect" and "ops"`);
  }
  return { file: path, schemaPath, schemaJson, db: String(schemaJson.name), transactions: raw.transactions };
}

/** "ok", or the error string of the first error object in a transact result (incl. commit-time
 *  errors appended after the last op), or "rpc: <error>" for a JSON-RPC level error. */
export function outcomeOf(result: Json): string {
  if (result !== null && typeof result === 'object' && !Array.isArray(result) && 'rpcError' in result) {
    const e = result.rpcError;
    return `rpc: ${typeof e === 'string' ? e : stringifyJson(e)}`;
  }
  if (!Array.isArray(result)) return `bad result ${stringifyJson(result)}`;
  for (const r of result) {
    if (r !== null && typeof r === 'object' && !Array.isArray(r) && typeof r.error === 'string') return r.error;
  }
  return 'ok';
}

function rowSortKey(row: Json, mapper: UuidMapper): string {
  // Known uuids (from earlier inserts/results) sort by their tag; unknown ones all look alike.
  const text = stringifyJson(canonicalDatum(row));
  return text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, (u) => mapper.peek(u) ?? '?');
}

// OVS names the two rows of an index conflict in raw UUID order ("First row, with UUID a, ...
// Second row, with UUID b, ..."), which differs between two servers; put them in tag order.
const INDEX_CONFLICT = /^(.*First row, with UUID )(<\d+>)(, .*?\.  Second row, with UUID )(<\d+>)(, .*?\.)$/s;

function orderIndexConflict(details: string): string {
  const m = INDEX_CONFLICT.exec(details);
  if (!m) return details;
  const [, head, tagA, mid, tagB, tail] = m as unknown as [string, string, string, string, string, string];
  if (Number(tagA.slice(1, -1)) <= Number(tagB.slice(1, -1))) return details;
  const descA = mid.slice(2, mid.indexOf('.  Second row'));
  const descB = tail.slice(2, -1);
  return `${head}${tagB}, ${descB}.  Second row, with UUID ${tagA}, ${descA}.`;
}

// How long a "wait" really waited before timing out is timing, not behaviour.
function maskElapsed(details: string): string {
  return details.replace(/^"wait" timed out after \d+ ms$/, '"wait" timed out after <N> ms');
}

function orderErrors(v: Json): Json {
  if (Array.isArray(v)) return v.map(orderErrors);
  if (v !== null && typeof v === 'object' && typeof v.error === 'string' && typeof v.details === 'string') {
    return { ...v, details: maskElapsed(orderIndexConflict(v.details)) };
  }
  return v;
}

/** Reals as ovsdb-server prints them: 15 significant digits (it keeps the exact double inside, so
 *  0.1+0.2 is stored as 0.30000000000000004 but printed 0.3). Printing is the JSON-RPC layer's job;
 *  at the Database API level only the double matters, so both sides are rounded alike. */
export function roundReals(v: Json): Json {
  if (typeof v === 'number') return Number.isInteger(v) ? v : Number(v.toPrecision(15));
  if (Array.isArray(v)) return v.map(roundReals);
  if (v !== null && typeof v === 'object') {
    const out: JsonObject = {};
    for (const k of Object.keys(v)) out[k] = roundReals(v[k]!);
    return out;
  }
  return v;
}

/** Normalises one transact result: object keys sorted, rows of each `select` put in a canonical
 *  order (by the tags of their already-known uuids), then uuids tagged in order of appearance,
 *  then sets/maps sorted and index-conflict rows put in tag order. */
export function normalizeResult(raw: Json, mapper: UuidMapper): Json {
  const result = roundReals(sortKeys(raw));
  if (Array.isArray(result)) {
    const ordered = result.map((r) => {
      if (r !== null && typeof r === 'object' && !Array.isArray(r) && Array.isArray(r.rows)) {
        const rows = [...r.rows].sort((a, b) => {
          const ka = rowSortKey(a, mapper);
          const kb = rowSortKey(b, mapper);
          return ka < kb ? -1 : ka > kb ? 1 : 0;
        });
        return { ...r, rows };
      }
      return r;
    });
    return orderErrors(canonicalDatum(mapper.json(ordered)));
  }
  return orderErrors(canonicalDatum(mapper.json(result)));
}

/** Ops selecting every row of every table (the final database contents). */
export function selectAllOps(schema: JsonObject): Json[] {
  const tables = Object.keys(schema.tables as JsonObject).sort();
  return tables.map((table) => ({ op: 'select', table, where: [] }));
}
