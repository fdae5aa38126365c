// OVSDB data as ovs-vsctl handles it: atoms and sorted datums, parsed from and printed to the
// ovs-vsctl string syntax (lib/ovsdb-data.c semantics) and converted to/from RFC 7047 wire JSON.
import { localUuid } from './local-uuid.js';
import type { Json } from '../ovsdb/api.js';
import type { AtomicType, BaseType, ColumnType } from './schema.js';
import { isMap } from './schema.js';
import { formatReal } from './number-format.js';
import { ovsJsonString } from './json-text.js';
import { INT64_MAX, INT64_MIN, isInt64, normalizeInteger, stringifyJson } from '../util/json-int64.js';

/** integer: number, or bigint beyond 2^53 (engine/util/json-int64.ts); real: number; boolean:
 *  boolean; string: string; uuid: lowercase UUID string. */
export type Atom = number | bigint | boolean | string;

/** Keys sorted ascending and unique; `values` present exactly for maps. */
export interface Datum {
  keys: Atom[];
  values?: Atom[];
}

export interface VsctlSymbol {
  uuid: string;
  created: boolean;
  strongRef: boolean;
  weakRef: boolean;
}

export class SymbolTable {
  readonly symbols = new Map<string, VsctlSymbol>();
  get(name: string): VsctlSymbol | undefined {
    return this.symbols.get(name);
  }
  insert(name: string): VsctlSymbol {
    let s = this.symbols.get(name);
    if (!s) {
      s = { uuid: localUuid(), created: false, strongRef: false, weakRef: false };
      this.symbols.set(name, s);
    }
    return s;
  }
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export function isUuid(s: string): boolean {
  return s.length === 36 && UUID_RE.test(s);
}

/** Length of `s` if it is a prefix of a UUID in canonical form, else 0 (uuid_is_partial_string). */
export function uuidPartialLength(s: string): number {
  const tmpl = 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx';
  if (s.length > tmpl.length) return 0;
  for (let i = 0; i < s.length; i++) {
    const ok = tmpl[i] === 'x' ? /[0-9a-fA-F]/.test(s[i] as string) : s[i] === '-';
    if (!ok) return 0;
  }
  return s.length;
}

export function emptyDatum(type?: ColumnType): Datum {
  return type && isMap(type) ? { keys: [], values: [] } : { keys: [] };
}

function defaultAtom(t: AtomicType): Atom {
  switch (t) {
    case 'integer': case 'real': return 0;
    case 'boolean': return false;
    case 'string': return '';
    case 'uuid': return '00000000-0000-0000-0000-000000000000';
  }
}

export function defaultDatum(type: ColumnType): Datum {
  if (type.min === 0) return emptyDatum(type);
  const d: Datum = { keys: [defaultAtom(type.key.type)] };
  if (type.value) d.values = [defaultAtom(type.value.type)];
  return d;
}

export function isDefaultDatum(d: Datum, type: ColumnType): boolean {
  return compareDatum(d, defaultDatum(type)) === 0;
}

// ---------------------------------------------------------------- comparison

function byteCmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareAtom(a: Atom, b: Atom): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return byteCmp(String(a), String(b));
}

function compareArrays(a: Atom[], b: Atom[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareAtom(a[i] as Atom, b[i] as Atom);
    if (c) return c;
  }
  return 0;
}

/** ovsdb_datum_compare_3way: by size, then keys, then values. */
export function compareDatum(a: Datum, b: Datum): number {
  if (a.keys.length !== b.keys.length) return a.keys.length < b.keys.length ? -1 : 1;
  const c = compareArrays(a.keys, b.keys);
  if (c || !a.values || !b.values) return c;
  return compareArrays(a.values, b.values);
}

export function findKey(d: Datum, key: Atom): number {
  let lo = 0, hi = d.keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareAtom(d.keys[mid] as Atom, key);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

function findKeyValue(d: Datum, key: Atom, value: Atom | undefined): boolean {
  const i = findKey(d, key);
  if (i < 0) return false;
  return value === undefined || !d.values || compareAtom(d.values[i] as Atom, value) === 0;
}

/** True if every element of a is in b (ovsdb_datum_includes_all). */
export function includesAll(a: Datum, b: Datum): boolean {
  return a.keys.every((k, i) => findKeyValue(b, k, a.values?.[i]));
}
/** True if no element of a is in b (ovsdb_datum_excludes_all). */
export function excludesAll(a: Datum, b: Datum): boolean {
  return a.keys.every((k, i) => !findKeyValue(b, k, a.values?.[i]));
}

/** Sorts in place; returns false on a duplicate key. */
export function sortDatum(d: Datum): boolean {
  // Already in order, no duplicates (what a server sends): nothing to do.
  let inOrder = true;
  for (let i = 1; i < d.keys.length; i++) if (compareAtom(d.keys[i - 1] as Atom, d.keys[i] as Atom) >= 0) { inOrder = false; break; }
  if (inOrder) return true;
  const idx = d.keys.map((_, i) => i);
  idx.sort((x, y) => compareAtom(d.keys[x] as Atom, d.keys[y] as Atom));
  const keys = idx.map((i) => d.keys[i] as Atom);
  for (let i = 1; i < keys.length; i++) if (compareAtom(keys[i - 1] as Atom, keys[i] as Atom) === 0) return false;
  if (d.values) { const v = d.values; d.values = idx.map((i) => v[i] as Atom); }
  d.keys = keys;
  return true;
}

export function cloneDatum(d: Datum): Datum {
  return d.values ? { keys: [...d.keys], values: [...d.values] } : { keys: [...d.keys] };
}

/** a ∪ b; for a key present in both, a's value is kept (ovsdb_datum_union). */
export function unionDatum(a: Datum, b: Datum): Datum {
  const r = cloneDatum(a);
  b.keys.forEach((k, i) => {
    if (findKey(r, k) < 0) {
      r.keys.push(k);
      if (r.values) r.values.push((b.values as Atom[])[i] as Atom);
    }
  });
  sortDatum(r);
  return r;
}

/** Removes from a each element of b; b without values removes by key (ovsdb_datum_subtract). */
export function subtractDatum(a: Datum, b: Datum): Datum {
  const r = cloneDatum(a);
  b.keys.forEach((k, i) => {
    const j = findKey(r, k);
    if (j < 0) return;
    if (b.values && r.values && compareAtom(r.values[j] as Atom, b.values[i] as Atom) !== 0) return;
    r.keys.splice(j, 1);
    r.values?.splice(j, 1);
  });
  return r;
}

// ---------------------------------------------------------------- string syntax

const DELIMS = ':=, []{}!<>';
export function isDelim(c: string | undefined): boolean {
  return c === undefined || DELIMS.includes(c);
}

/** ovsdb_token_parse: reads one token from s at pos; returns [token, newPos] or throws message. */
export function parseToken(s: string, pos: number): [string, number] {
  let out = '';
  let inQuotes = false;
  let p = pos;
  while (p < s.length) {
    const c = s[p++] as string;
    if (c === '\\') {
      if (inQuotes) out += '\\';
      if (p >= s.length) throw new DatumError(`${s.slice(pos)}: backslash at end of argument`);
      out += s[p++];
    } else if (!inQuotes && DELIMS.includes(c)) {
      p--;
      break;
    } else {
      out += c;
      if (c === '"') inQuotes = !inQuotes;
    }
  }
  if (inQuotes) throw new DatumError(`${s.slice(pos)}: quoted string extends past end of argument`);
  return [out, p];
}

export class DatumError extends Error {}

function parseLongLong(s: string): number | bigint | undefined {
  // strtoll base 10 with full consumption: optional leading space and sign; out of range fails.
  const m = /^[ \t\n\v\f\r]*[+-]?[0-9]+$/.exec(s);
  if (!m) return undefined;
  const v = BigInt(s.trim());
  return isInt64(v) ? normalizeInteger(v) : undefined;
}

/** a + n for integer atoms, exact beyond 2^53. */
function addInt(a: number | bigint, n: number): number | bigint {
  return typeof a === 'number' && Number.isSafeInteger(a + n) ? a + n : normalizeInteger(BigInt(a) + BigInt(n));
}

function parseRange(s: string): [number | bigint, number | bigint] | undefined {
  const m = /^([ \t\n\v\f\r]*[+-]?[0-9]+)-([ \t\n\v\f\r]*[+-]?[0-9]+)$/.exec(s);
  if (!m) return undefined;
  const a = parseLongLong(m[1] as string), b = parseLongLong(m[2] as string);
  return a === undefined || b === undefined ? undefined : [a, b];
}

function parseDouble(s: string): number | undefined {
  const t = s.replace(/^[ \t\n\v\f\r]+/, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (/^[+-]?0x[0-9a-f]+(\.[0-9a-f]*)?(p[+-]?[0-9]+)?$/i.test(t)) return undefined;
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?$/i.test(t)) return undefined;
  const v = Number(t);
  if (!Number.isFinite(v)) return undefined;
  return v === 0 ? 0 : v;
}

export function atomToString(a: Atom, t: AtomicType): string {
  switch (t) {
    case 'integer': return String(a);
    case 'real': return formatReal(a as number);
    case 'boolean': return a ? 'true' : 'false';
    case 'uuid': return String(a);
    case 'string': return stringNeedsQuotes(a as string) ? ovsJsonString(a as string) : (a as string);
  }
}

function stringNeedsQuotes(s: string): boolean {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(s)) return true;
  if (s === 'true' || s === 'false') return true;
  return isUuid(s);
}

function constraintError(details: string): DatumError {
  return new DatumError(`constraint violation: ${details}`);
}

function enumToString(base: BaseType): string {
  const vals = (base.enum ?? []).map((j) => jsonAtom(j, base.type));
  const d: Datum = { keys: vals };
  sortDatum(d);
  const t: ColumnType = { key: { type: base.type, refType: 'strong' }, min: 0, max: Infinity };
  return datumToString(d, t);
}

function jsonAtom(j: Json, t: AtomicType): Atom {
  if (t === 'uuid' && Array.isArray(j)) return String(j[1]);
  return j as Atom;
}

export function checkAtomConstraints(a: Atom, base: BaseType): void {
  if (base.enum) {
    const ok = base.enum.some((e) => compareAtom(jsonAtom(e, base.type), a) === 0);
    if (!ok) throw constraintError(`${atomToString(a, base.type)} is not one of the allowed values (${enumToString(base)})`);
  }
  if (base.type === 'integer') {
    const min = base.minInteger ?? INT64_MIN, max = base.maxInteger ?? INT64_MAX;
    const v = a as number | bigint;
    if (v >= min && v <= max) return;
    if (base.minInteger !== undefined) {
      if (base.maxInteger !== undefined) throw constraintError(`${v} is not in the valid range ${min} to ${max} (inclusive)`);
      throw constraintError(`${v} is less than minimum allowed value ${min}`);
    }
    throw constraintError(`${v} is greater than maximum allowed value ${max}`);
  }
  if (base.type === 'real') {
    const v = a as number;
    const min = base.minReal ?? -Number.MAX_VALUE, max = base.maxReal ?? Number.MAX_VALUE;
    if (v >= min && v <= max) return;
    if (base.minReal !== undefined) {
      if (base.maxReal !== undefined) throw constraintError(`${formatReal(v)} is not in the valid range ${formatReal(min)} to ${formatReal(max)} (inclusive)`);
      throw constraintError(`${formatReal(v)} is less than minimum allowed value ${formatReal(min)}`);
    }
    throw constraintError(`${formatReal(v)} is greater than maximum allowed value ${formatReal(max)}`);
  }
  if (base.type === 'string') {
    const s = a as string;
    const n = [...s].length;
    const minLen = base.minLength ?? 0, maxLen = base.maxLength ?? 4294967295;
    if (n < minLen) throw constraintError(`"${s}" length ${n} is less than minimum allowed length ${minLen}`);
    if (n > maxLen) throw constraintError(`"${s}" length ${n} is greater than maximum allowed length ${maxLen}`);
  }
}

/** ovsdb_atom_from_string (+ optional integer range for keys). Returns [atom, rangeEnd?]. */
export function parseAtom(s: string, base: BaseType, symtab: SymbolTable | undefined, allowRange: boolean): [Atom, (number | bigint)?] {
  let atom: Atom;
  let end: number | bigint | undefined;
  switch (base.type) {
    case 'integer': {
      const r = allowRange ? parseRange(s) : undefined;
      if (r) {
        if (r[1] < r[0]) throw new DatumError(`"${s}" is not a valid range. Range end cannot be before start.`);
        atom = r[0];
        end = r[1];
      } else {
        const v = parseLongLong(s);
        if (v === undefined) throw new DatumError(`"${s}" is not a valid integer or range`);
        atom = v;
      }
      break;
    }
    case 'real': {
      const v = parseDouble(s);
      if (v === undefined) throw new DatumError(`"${s}" is not a valid real number`);
      atom = v;
      break;
    }
    case 'boolean':
      if (['true', 'yes', 'on', '1'].includes(s)) atom = true;
      else if (['false', 'no', 'off', '0'].includes(s)) atom = false;
      else throw new DatumError(`"${s}" is not a valid boolean (use "true" or "false")`);
      break;
    case 'string':
      if (s === '') throw new DatumError('An empty string is not valid as input; use "" to represent the empty string');
      if (s.startsWith('"')) {
        if (s.length < 2 || !s.endsWith('"')) throw new DatumError(`${s}: missing quote at end of quoted string`);
        try {
          atom = JSON.parse(s) as string;
          if (typeof atom !== 'string') throw new Error('not a string');
        } catch {
          throw new DatumError(`${s}: invalid JSON string escape`);
        }
      } else atom = s;
      break;
    case 'uuid':
      if (s.startsWith('@')) {
        if (!symtab) throw new DatumError(`"${s}" is not a valid UUID`);
        const sym = symtab.insert(s);
        atom = sym.uuid;
        if (base.refTable) {
          if (base.refType === 'weak') sym.weakRef = true; else sym.strongRef = true;
        }
      } else if (isUuid(s)) atom = s.toLowerCase();
      else throw new DatumError(`"${s}" is not a valid UUID`);
      break;
  }
  checkAtomConstraints(atom, base);
  if (end !== undefined) {
    if (base.enum) {
      for (let i = addInt(atom as number | bigint, 1); i <= end; i = addInt(i, 1)) checkAtomConstraints(i, base);
    } else checkAtomConstraints(end, base);
    if (BigInt(end) - BigInt(atom as number | bigint) >= 4096n) {
      throw constraintError(`Range "${atom}-${end}" is too big. Maximum allowed size is 4096.`);
    }
  }
  return end === undefined ? [atom] : [atom, end];
}

/** ovsdb_atom_from_string on one whole token (keys of column:key, values of column:key=value). */
export function parseAtomToken(s: string, base: BaseType, symtab?: SymbolTable): Atom {
  return parseAtom(s, base, symtab, false)[0];
}

function typeToEnglish(t: ColumnType): string {
  const key = t.key.type, value = t.value?.type;
  if (t.min === 1 && t.max === 1 && !t.value) return key;
  let s = t.value ? 'map' : 'set';
  if (t.max === Infinity) s += t.min ? ` of ${t.min} or more` : ' of';
  else if (t.min) s += ` of ${t.min} to ${t.max}`;
  else s += ` of up to ${t.max}`;
  return t.value ? `${s} (${key}, ${value}) pairs` : `${s} ${key}s`;
}

function skipSpaces(s: string, p: number): number {
  while (p < s.length && /\s/.test(s[p] as string)) p++;
  return p;
}

/** ovsdb_datum_from_string: "a, b", "[a b]", "{k=v, ...}". */
export function parseDatum(s: string, type: ColumnType, symtab?: SymbolTable): Datum {
  const map = isMap(type);
  const d = emptyDatum(type);
  let p = skipSpaces(s, 0);
  let endDelim = '';
  if (s[p] === (map ? '{' : '[')) {
    endDelim = map ? '}' : ']';
    p = skipSpaces(s, p + 1);
  } else if (p >= s.length) {
    throw new DatumError(map ? 'use "{}" to specify the empty map' : 'use "[]" to specify the empty set');
  }
  while (p < s.length && s[p] !== endDelim) {
    if (DELIMS.includes(s[p] as string)) throw new DatumError(`${s}: unexpected "${s[p]}" parsing ${typeToEnglish(type)}`);
    const start = p;
    let tok: string;
    [tok, p] = parseToken(s, p);
    const [key, end] = parseAtom(tok, type.key, symtab, true);
    let value: Atom | undefined;
    if (type.value) {
      p = skipSpaces(s, p);
      if (s[p] === '=') {
        p = skipSpaces(s, p + 1);
        let vtok: string;
        [vtok, p] = parseToken(s, p);
        value = parseAtom(vtok, type.value, symtab, false)[0];
      } else {
        // OVS formats the character with %c: at the end of the string that is a NUL byte,
        // which cuts the message short.
        if (p >= s.length) throw new DatumError(`${s.slice(start)}: syntax error at "`);
        throw new DatumError(`${s.slice(start)}: syntax error at "${s[p]}" expecting "="`);
      }
    }
    const last = end ?? (key as number | bigint);
    for (let k: Atom = key; ; k = addInt(k as number | bigint, 1)) {
      d.keys.push(k);
      if (d.values) d.values.push(value as Atom);
      if (end === undefined || (k as number | bigint) >= last) break;
    }
    p = skipSpaces(s, p);
    if (s[p] === ',') p = skipSpaces(s, p + 1);
  }
  if ((s[p] ?? '') !== endDelim) throw new DatumError(`${s}: missing "${endDelim}" at end of data`);
  if (endDelim) {
    p = skipSpaces(s, p + 1);
    if (p < s.length) throw new DatumError(`${s}: trailing garbage after "${endDelim}"`);
  }
  const n = d.keys.length;
  if (n < type.min) throw new DatumError(`${s}: ${n} ${map ? 'pair(s)' : 'value(s)'} specified but the minimum number is ${type.min}`);
  if (n > type.max) throw new DatumError(`${s}: ${n} ${map ? 'pair(s)' : 'value(s)'} specified but the maximum number is ${type.max}`);
  if (!sortDatum(d)) throw new DatumError(map ? `${s}: map contains duplicate key` : `${s}: set contains duplicate value`);
  return d;
}

export function datumToString(d: Datum, type: ColumnType): string {
  const map = isMap(type);
  const brackets = type.max > 1 || d.keys.length === 0;
  const parts = d.keys.map((k, i) =>
    map ? `${atomToString(k, type.key.type)}=${atomToString((d.values as Atom[])[i] as Atom, (type.value as BaseType).type)}`
      : atomToString(k, type.key.type));
  const body = parts.join(', ');
  return brackets ? (map ? `{${body}}` : `[${body}]`) : body;
}

function atomToBare(a: Atom, t: AtomicType): string {
  return t === 'string' ? (a as string) : atomToString(a, t);
}

export function datumToBare(d: Datum, type: ColumnType): string {
  return d.keys.map((k, i) => type.value
    ? `${atomToBare(k, type.key.type)}=${atomToBare((d.values as Atom[])[i] as Atom, type.value.type)}`
    : atomToBare(k, type.key.type)).join(' ');
}

// ---------------------------------------------------------------- wire JSON

export type UuidToJson = (uuid: string) => Json;
const plainUuid: UuidToJson = (u) => ['uuid', u];

function atomToWire(a: Atom, t: AtomicType, u: UuidToJson): Json {
  return t === 'uuid' ? u(a as string) : a;
}

/** ovsdb_datum_to_json: a bare atom for one non-map element, ["set",[...]], ["map",[[k,v],...]]. */
export function datumToWire(d: Datum, type: ColumnType, u: UuidToJson = plainUuid): Json {
  if (type.value) {
    const vt = type.value.type;
    return ['map', d.keys.map((k, i) => [atomToWire(k, type.key.type, u), atomToWire((d.values as Atom[])[i] as Atom, vt, u)])];
  }
  if (d.keys.length === 1) return atomToWire(d.keys[0] as Atom, type.key.type, u);
  return ['set', d.keys.map((k) => atomToWire(k, type.key.type, u))];
}

function wireAtom(j: Json, t: AtomicType): Atom {
  if (t === 'uuid') {
    if (Array.isArray(j) && (j[0] === 'uuid' || j[0] === 'named-uuid')) return String(j[1]);
    throw new DatumError(`bad uuid atom ${stringifyJson(j)}`);
  }
  if (t === 'integer' && typeof j === 'bigint') return j;
  if (t === 'integer' || t === 'real') {
    if (typeof j === 'bigint') return Number(j);
    if (typeof j !== 'number') throw new DatumError(`bad ${t} atom ${stringifyJson(j)}`);
    return j;
  }
  if (t === 'boolean') {
    if (typeof j !== 'boolean') throw new DatumError(`bad boolean atom ${stringifyJson(j)}`);
    return j;
  }
  if (typeof j !== 'string') throw new DatumError(`bad string atom ${stringifyJson(j)}`);
  return j;
}

export function datumFromWire(j: Json, type: ColumnType): Datum {
  const d = emptyDatum(type);
  if (type.value) {
    const vt = type.value.type;
    if (!Array.isArray(j) || j[0] !== 'map' || !Array.isArray(j[1])) throw new DatumError(`bad map ${stringifyJson(j)}`);
    for (const pair of j[1] as Json[]) {
      const pr = pair as Json[];
      d.keys.push(wireAtom(pr[0] as Json, type.key.type));
      (d.values as Atom[]).push(wireAtom(pr[1] as Json, vt));
    }
  } else if (Array.isArray(j) && j[0] === 'set') {
    for (const e of j[1] as Json[]) d.keys.push(wireAtom(e, type.key.type));
  } else {
    d.keys.push(wireAtom(j, type.key.type));
  }
  sortDatum(d);
  return d;
}
