// Normalisers for comparing OVSDB output from two servers (ours and real ovsdb-server) and for
// comparing two schema files structurally, whatever their formatting or shorthand.
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { stringifyJson } from '../../engine/util/json-int64.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Replaces UUIDs by `<0>`, `<1>`, ... in order of first appearance (like OVS's tests/uuidfilt.py).
 *  Bare UUID strings (e.g. `_uuid`, `_version` values inside ["uuid", ...]) and UUIDs embedded in
 *  error `details` text are both rewritten; the same UUID always maps to the same tag. One
 *  UuidMapper can be shared across a whole corpus file so tags stay stable between transactions. */
export class UuidMapper {
  private readonly tags = new Map<string, string>();

  tag(uuid: string): string {
    const key = uuid.toLowerCase();
    let t = this.tags.get(key);
    if (t === undefined) {
      t = `<${this.tags.size}>`;
      this.tags.set(key, t);
    }
    return t;
  }

  /** The tag of a uuid already seen, without assigning one. */
  peek(uuid: string): string | undefined {
    return this.tags.get(uuid.toLowerCase());
  }

  text(s: string): string {
    return s.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, (u) => this.tag(u));
  }

  json(v: Json): Json {
    if (typeof v === 'string') return UUID_RE.test(v) ? this.tag(v) : this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.json(x));
    if (v !== null && typeof v === 'object') {
      const out: JsonObject = {};
      for (const k of Object.keys(v)) out[this.text(k)] = this.json(v[k]!);
      return out;
    }
    return v;
  }
}

/** Puts a datum in canonical order: set members and map pairs sorted by their JSON text, so two
 *  servers that return the same set in different orders compare equal. Rows' keys are sorted. */
export function canonicalDatum(v: Json): Json {
  if (Array.isArray(v) && v.length === 2 && (v[0] === 'set' || v[0] === 'map') && Array.isArray(v[1])) {
    const items = (v[1] as Json[]).map((x) => canonicalDatum(x));
    items.sort((a, b) => cmpText(stringifyJson(a), stringifyJson(b)));
    return [v[0], items];
  }
  if (Array.isArray(v)) return v.map(canonicalDatum);
  if (v !== null && typeof v === 'object') {
    const out: JsonObject = {};
    for (const k of Object.keys(v).sort()) out[k] = canonicalDatum(v[k]!);
    return out;
  }
  return v;
}

function cmpText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts the members of every JSON object by key (recursively), leaving arrays in their order.
 *  Done before tagging uuids, so two servers that emit a row's columns in different orders assign
 *  tags in the same order. */
export function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: JsonObject = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]!);
    return out;
  }
  return v;
}

/** Sorts rows (already uuid-normalised or not) by their JSON text, for order-free comparison of
 *  `select` results whose row order is unspecified by RFC 7047. */
export function sortRows(rows: Json[]): Json[] {
  return [...rows].sort((a, b) => cmpText(stringifyJson(a), stringifyJson(b)));
}

// ---------------------------------------------------------------------------------------------
// Schema normalisation: every shorthand of RFC 7047 §3.2 expanded, defaults made explicit.

export interface NormalBase {
  type: string;
  enum?: Json[];
  minInteger?: number;
  maxInteger?: number;
  minReal?: number;
  maxReal?: number;
  minLength?: number;
  maxLength?: number;
  refTable?: string;
  refType?: string;
}
export interface NormalType { key: NormalBase; value: NormalBase | null; min: number; max: number | 'unlimited' }
export interface NormalColumn { type: NormalType; ephemeral: boolean; mutable: boolean }
export interface NormalTable { isRoot: boolean; maxRows: number | null; indexes: string[][]; columns: Record<string, NormalColumn> }
export interface NormalSchema { name: string; version: string | null; tables: Record<string, NormalTable> }

function obj(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${what}: expected a JSON object, got ${stringifyJson(v)}`);
  return v as Record<string, unknown>;
}

function normalBase(v: unknown, what: string): NormalBase {
  if (typeof v === 'string') return { type: v };
  const o = obj(v, what);
  const b: NormalBase = { type: String(o.type) };
  if (o.enum !== undefined) {
    const e = o.enum as Json;
    const atoms = Array.isArray(e) && e[0] === 'set' ? (e[1] as Json[]) : [e];
    b.enum = [...atoms].sort((x, y) => cmpText(stringifyJson(x), stringifyJson(y)));
  }
  for (const k of ['minInteger', 'maxInteger', 'minReal', 'maxReal', 'minLength', 'maxLength'] as const) {
    if (o[k] !== undefined) b[k] = o[k] as number;
  }
  if (o.refTable !== undefined) {
    b.refTable = String(o.refTable);
    b.refType = o.refType === undefined ? 'strong' : String(o.refType);
  }
  return b;
}

function normalType(v: unknown, what: string): NormalType {
  if (typeof v === 'string') return { key: { type: v }, value: null, min: 1, max: 1 };
  const o = obj(v, what);
  return {
    key: normalBase(o.key, `${what}.key`),
    value: o.value === undefined ? null : normalBase(o.value, `${what}.value`),
    min: o.min === undefined ? 1 : (o.min as number),
    max: o.max === undefined ? 1 : (o.max as number | 'unlimited'),
  };
}

/** Expands a schema's JSON into a canonical structure (no formatting, no shorthand, no cksum). */
export function normalizeSchema(json: unknown): NormalSchema {
  const s = obj(json, 'schema');
  const tables: Record<string, NormalTable> = {};
  for (const [tname, tv] of Object.entries(obj(s.tables, 'tables'))) {
    const t = obj(tv, `table ${tname}`);
    const columns: Record<string, NormalColumn> = {};
    for (const [cname, cv] of Object.entries(obj(t.columns, `${tname}.columns`))) {
      const c = obj(cv, `${tname}.${cname}`);
      columns[cname] = {
        type: normalType(c.type, `${tname}.${cname}.type`),
        ephemeral: c.ephemeral === true,
        mutable: c.mutable !== false,
      };
    }
    const indexes = ((t.indexes ?? []) as string[][]).map((ix) => [...ix].sort());
    indexes.sort((a, b) => cmpText(a.join(','), b.join(',')));
    tables[tname] = {
      isRoot: t.isRoot === true,
      maxRows: t.maxRows === undefined ? null : (t.maxRows as number),
      indexes,
      columns,
    };
  }
  // OVS rule (ovsdb(5)): when no table says isRoot, every table is a root table.
  if (!Object.values(tables).some((tb) => tb.isRoot)) for (const tb of Object.values(tables)) tb.isRoot = true;
  return { name: String(s.name), version: s.version === undefined ? null : String(s.version), tables };
}

/** Lists every structural difference between two normalised values as `path: ours vs theirs`. */
export function structuralDiff(ours: unknown, theirs: unknown, path = ''): string[] {
  if (stringifyJson(ours) === stringifyJson(theirs)) return [];
  const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (isObj(ours) && isObj(theirs)) {
    const out: string[] = [];
    const keys = new Set([...Object.keys(ours), ...Object.keys(theirs)]);
    for (const k of [...keys].sort()) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in ours)) out.push(`${p}: missing in ours (theirs ${stringifyJson(theirs[k])})`);
      else if (!(k in theirs)) out.push(`${p}: extra in ours (${stringifyJson(ours[k])})`);
      else out.push(...structuralDiff(ours[k], theirs[k], p));
    }
    return out;
  }
  return [`${path}: ours ${stringifyJson(ours)} vs theirs ${stringifyJson(theirs)}`];
}
