// The OVSDB differential corpus (tests/corpus/ovsdb/*.json): each file names a schema and lists
// transactions run in order against a fresh database. Each transaction carries `expect`, the
// outcome its author intended ("ok" or the RFC 7047/OVS error string of the first failure), which
// the real ovsdb-server confirms, so the corpus provably covers the cases it claims to cover.
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { UuidMapper, canonicalDatum } from './normalize.js';

export const corpusDir = join(projectRoot, 'tests', 'corpus', 'ovsdb');

export interface CorpusTransaction {
  expect: string;
  note?: string;
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
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { schema: string; transactions: CorpusTransaction[] };
  const schemaPath = raw.schema === 'vswitch'
    ? join(projectRoot, 'manifests', 'vswitch.ovsschema')
    : resolve(dirname(path), raw.schema);
  const schemaJson = JSON.parse(readFileSync(schemaPath, 'utf8')) as JsonObject;
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
    return `rpc: ${typeof e === 'string' ? e : JSON.stringify(e)}`;
  }
  if (!Array.isArray(result)) return `bad result ${JSON.stringify(result)}`;
  for (const r of result) {
    if (r !== null && typeof r === 'object' && !Array.isArray(r) && typeof r.error === 'string') return r.error;
  }
  return 'ok';
}

function rowSortKey(row: Json, mapper: UuidMapper): string {
  // Known uuids (from earlier inserts/results) sort by their tag; unknown ones all look alike.
  const text = JSON.stringify(canonicalDatum(row));
  return text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, (u) => mapper.peek(u) ?? '?');
}

/** Normalises one transact result: rows of each `select` put in a canonical order (by the tags of
 *  their already-known uuids), then uuids tagged in order of appearance, then sets/maps sorted. */
export function normalizeResult(result: Json, mapper: UuidMapper): Json {
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
    return canonicalDatum(mapper.json(ordered));
  }
  return canonicalDatum(mapper.json(result));
}

/** Ops selecting every row of every table (the final database contents). */
export function selectAllOps(schema: JsonObject): Json[] {
  const tables = Object.keys(schema.tables as JsonObject).sort();
  return tables.map((table) => ({ op: 'select', table, where: [] }));
}
