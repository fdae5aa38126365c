// OVSDB values. Internally a column value (a "datum") is a sorted, duplicate-free array of atoms
// (plus a parallel value array for maps); atoms are plain JS values (uuids as lower-case strings).
// On the wire (RFC 7047 section 5.1) a datum is an atom, ["set", [...]], ["map", [[k, v], ...]];
// uuids are ["uuid", "..."] and, inside transactions, ["named-uuid", "name"].
import type { Json } from './api.js';
import { OvsdbError, syntaxError } from './errors.js';
import { formatG } from './format.js';
import { INT64_MAX, INT64_MIN, isInt64, normalizeInteger } from '../util/json-int64.js';

export { formatG };
import { isId, isLowerCaseUuid, isUuid, typeToEnglish } from './schema.js';
import type { AtomicType, BaseType, ColumnType } from './schema.js';

/** integer atoms beyond 2^53 are bigints (engine/util/json-int64.ts), all others numbers. */
export type Atom = number | bigint | boolean | string;

export interface Datum {
  keys: Atom[];
  /** Present (same length as keys) for map types only. */
  values?: Atom[];
}

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** Resolves ["named-uuid", name] inside a transaction to the uuid it stands for. */
export type NamedUuidResolver = (name: string, base: BaseType) => string;

// ---- atoms -------------------------------------------------------------------------------------

/** Byte order of the UTF-8 encodings (= code point order), as strcmp() in OVS sorts strings. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (U+D800..DFFF) encode code points above U+FFFF, which sort after U+E000..FFFF.
      if (x >= 0xd800 && y >= 0xd800) {
        const cx = a.codePointAt(i)!;
        const cy = b.codePointAt(i)!;
        return cx < cy ? -1 : cx > cy ? 1 : 0;
      }
      return x < y ? -1 : 1;
    }
  }
  return a.length - b.length;
}

export function compareAtoms(type: AtomicType, a: Atom, b: Atom): number {
  switch (type) {
    case 'integer':
    case 'real':
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 'boolean':
      return (a ? 1 : 0) - (b ? 1 : 0);
    case 'string':
      return compareStrings(a as string, b as string);
    case 'uuid':
      return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
  }
}

export function defaultAtom(type: AtomicType): Atom {
  switch (type) {
    case 'integer':
    case 'real':
      return 0;
    case 'boolean':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return ZERO_UUID;
  }
}

function stringNeedsQuotes(s: string): boolean {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(s)) return true;
  return s === 'true' || s === 'false' || isUuid(s);
}

/** An atom as OVS prints it in messages (ovsdb_atom_to_string). */
export function atomToString(type: AtomicType, a: Atom): string {
  switch (type) {
    case 'integer':
      return String(a);
    case 'real':
      return formatG(a as number);
    case 'boolean':
      return a ? 'true' : 'false';
    case 'string':
      return stringNeedsQuotes(a as string) ? JSON.stringify(a) : (a as string);
    case 'uuid':
      return a as string;
  }
}

/** A datum as OVS prints it in messages (ovsdb_datum_to_string). */
export function datumToString(type: ColumnType, d: Datum): string {
  const parts = d.keys.map((k, i) => atomToString(type.key.type, k)
    + (type.value ? '=' + atomToString(type.value.type, d.values![i]!) : ''));
  const s = parts.join(', ');
  if (type.max > 1 || d.keys.length === 0) return type.value ? `{${s}}` : `[${s}]`;
  return s;
}

export function atomToJson(type: AtomicType, a: Atom): Json {
  return type === 'uuid' ? ['uuid', a as string] : a;
}

function jsonTypeName(j: Json): string {
  if (j === null) return 'null';
  if (Array.isArray(j)) return 'array';
  if (typeof j === 'number') return Number.isInteger(j) ? 'integer' : 'real';
  if (typeof j === 'bigint') return 'integer';
  if (typeof j === 'boolean') return j ? 'true' : 'false';
  return typeof j;
}

/** Parses a wire atom without checking the base type's constraints. */
export function atomFromJsonUnchecked(base: BaseType, json: Json, resolve?: NamedUuidResolver): Atom {
  switch (base.type) {
    case 'integer':
      // Beyond 64 bits OVS's JSON parser yields a real, which is not an integer.
      // One form per value: a number when exact as one, else a bigint (1e17 and 100000000000000000
      // are the same atom).
      if (typeof json === 'number' && Number.isInteger(json) && json >= -(2 ** 63) && json < 2 ** 63) {
        return Number.isSafeInteger(json) ? json : BigInt(json);
      }
      if (typeof json === 'bigint' && isInt64(json)) return normalizeInteger(json);
      break;
    case 'real':
      if (typeof json === 'number') return json;
      if (typeof json === 'bigint') return Number(json);
      break;
    case 'boolean':
      if (typeof json === 'boolean') return json;
      break;
    case 'string':
      if (typeof json === 'string') return json;
      break;
    case 'uuid': {
      if (Array.isArray(json) && json.length === 2 && typeof json[1] === 'string') {
        if (json[0] === 'uuid') {
          const u = json[1];
          if (isLowerCaseUuid(u)) return u;
          if (!isUuid(u)) throw syntaxError(json, `"${u}" is not a valid UUID`);
          return u.toLowerCase();
        }
        if (json[0] === 'named-uuid' && resolve) {
          if (!isId(json[1])) throw syntaxError(json, 'named-uuid string is not a valid <id>');
          return resolve(json[1], base);
        }
      }
      throw syntaxError(json, 'expected ["uuid", <string>]');
    }
  }
  void jsonTypeName;
  throw syntaxError(json, `expected ${base.type}`);
}

const enumCache = new WeakMap<BaseType, Set<Atom>>();
function enumSet(base: BaseType): Set<Atom> {
  let s = enumCache.get(base);
  if (!s) {
    s = new Set(base.enum!.map((j) => atomFromJsonUnchecked({ type: base.type, refType: 'strong' }, j)));
    enumCache.set(base, s);
  }
  return s;
}

function sortedEnumString(base: BaseType): string {
  const atoms = [...enumSet(base)].sort((a, b) => compareAtoms(base.type, a, b));
  const s = atoms.map((a) => atomToString(base.type, a)).join(', ');
  return atoms.length === 1 ? s : `[${s}]`;
}

function utf8Chars(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      n--;
      i++;
    }
  }
  return n;
}


/** Throws "constraint violation" (with OVS's wording) when an atom breaks its base type's rules. */
export function checkAtomConstraints(base: BaseType, a: Atom): void {
  if (base.enum) {
    if (!enumSet(base).has(a)) {
      throw new OvsdbError('constraint violation',
        `${atomToString(base.type, a)} is not one of the allowed values (${sortedEnumString(base)})`);
    }
    return;
  }
  switch (base.type) {
    case 'integer': {
      const min = base.minInteger ?? INT64_MIN;
      const max = base.maxInteger ?? INT64_MAX;
      const x = a as number | bigint;
      if (x >= min && x <= max) return;
      if (base.minInteger !== undefined && base.maxInteger !== undefined) {
        throw new OvsdbError('constraint violation', `${x} is not in the valid range ${min} to ${max} (inclusive)`);
      } else if (base.minInteger !== undefined) {
        throw new OvsdbError('constraint violation', `${x} is less than minimum allowed value ${min}`);
      }
      throw new OvsdbError('constraint violation', `${x} is greater than maximum allowed value ${max}`);
    }
    case 'real': {
      const x = a as number;
      const min = base.minReal ?? -Number.MAX_VALUE;
      const max = base.maxReal ?? Number.MAX_VALUE;
      if (x >= min && x <= max) return;
      if (base.minReal !== undefined && base.maxReal !== undefined) {
        throw new OvsdbError('constraint violation', `${formatG(x)} is not in the valid range ${formatG(min)} to ${formatG(max)} (inclusive)`);
      } else if (base.minReal !== undefined) {
        throw new OvsdbError('constraint violation', `${formatG(x)} is less than minimum allowed value ${formatG(min)}`);
      }
      throw new OvsdbError('constraint violation', `${formatG(x)} is greater than maximum allowed value ${formatG(max)}`);
    }
    case 'string': {
      if (base.minLength === undefined && base.maxLength === undefined) return;
      const s = a as string;
      const n = utf8Chars(s);
      if (base.minLength !== undefined && n < base.minLength) {
        throw new OvsdbError('constraint violation', `"${s}" length ${n} is less than minimum allowed length ${base.minLength}`);
      }
      if (base.maxLength !== undefined && n > base.maxLength) {
        throw new OvsdbError('constraint violation', `"${s}" length ${n} is greater than maximum allowed length ${base.maxLength}`);
      }
      return;
    }
    default:
      return;
  }
}

export function atomFromJson(base: BaseType, json: Json, resolve?: NamedUuidResolver): Atom {
  const a = atomFromJsonUnchecked(base, json, resolve);
  checkAtomConstraints(base, a);
  return a;
}

// ---- datums ------------------------------------------------------------------------------------

export function isComposite(type: ColumnType): boolean {
  return type.max > 1;
}

export function emptyDatum(type: ColumnType): Datum {
  return type.value ? { keys: [], values: [] } : { keys: [] };
}

export function defaultDatum(type: ColumnType): Datum {
  if (type.min === 0) return emptyDatum(type);
  const d: Datum = { keys: [defaultAtom(type.key.type)] };
  if (type.value) d.values = [defaultAtom(type.value.type)];
  return d;
}

/** Sorts a datum's keys; returns false if two keys are equal. */
function sortDatum(type: ColumnType, d: Datum): boolean {
  const n = d.keys.length;
  if (n < 2) return true;
  const kt = type.key.type;
  let descent = 0;
  for (let i = 1; i < n; i++) {
    if (compareAtoms(kt, d.keys[i - 1]!, d.keys[i]!) >= 0) { descent = i; break; }
  }
  if (descent === n - 1) {
    // Sorted but for the last element (a set or map read, then one element added at its end, as
    // ovs-vsctl's add-br and add-port send Open_vSwitch.bridges and Bridge.ports): that one is
    // moved to its place, found by binary search, instead of sorting everything.
    const last = d.keys[n - 1]!;
    const at = findKey(kt, d.keys, last, n - 1);
    if (at >= 0) return false; // a duplicate
    const to = -at - 1;
    d.keys.splice(n - 1, 1);
    d.keys.splice(to, 0, last);
    if (d.values) {
      const v = d.values.splice(n - 1, 1)[0]!;
      d.values.splice(to, 0, v);
    }
    return true;
  }
  if (descent > 0) {
    if (d.values) {
      const idx = d.keys.map((_, i) => i).sort((i, j) => compareAtoms(kt, d.keys[i]!, d.keys[j]!));
      const vals = d.values;
      d.keys = idx.map((i) => d.keys[i]!);
      d.values = idx.map((i) => vals[i]!);
    } else {
      d.keys.sort((a, b) => compareAtoms(kt, a, b));
    }
    for (let i = 1; i < n; i++) if (compareAtoms(kt, d.keys[i - 1]!, d.keys[i]!) === 0) return false;
  }
  return true;
}

/** Parses a wire datum of `type` (count limits, atom constraints; duplicates rejected). */
export function datumFromJson(type: ColumnType, json: Json, resolve?: NamedUuidResolver, relaxed = false): Datum {
  const min = relaxed ? 0 : type.min;
  const max = relaxed ? Infinity : type.max;
  if (type.value || (Array.isArray(json) && json.length > 0 && json[0] === 'set')) {
    const cls = type.value ? 'map' : 'set';
    if (!Array.isArray(json) || json.length !== 2 || json[0] !== cls || !Array.isArray(json[1])) {
      throw syntaxError(json, `expected ["${cls}", <array>]`);
    }
    const inner = json[1];
    const n = inner.length;
    if (n < min || n > max) {
      if (min === 1 && max === 1) throw syntaxError(json, `${cls} must have exactly one member but ${n} are present`);
      throw syntaxError(json, `${cls} must have ${min} to ${max === Infinity ? 4294967295 : max} members but ${n} are present`);
    }
    let d: Datum;
    if (type.value) {
      // One object literal with both members: adding `values` later would give the object an
      // out-of-object property array (a map column's datum is kept for as long as its row).
      const keys = new Array<Atom>(n);
      const vals = new Array<Atom>(n);
      for (let i = 0; i < n; i++) {
        const pair = inner[i]!;
        if (!Array.isArray(pair) || pair.length !== 2) throw syntaxError(pair, 'expected 2-element array');
        keys[i] = atomFromJson(type.key, pair[0]!, resolve);
        vals[i] = atomFromJson(type.value, pair[1]!, resolve);
      }
      d = { keys, values: vals };
    } else {
      d = { keys: new Array<Atom>(n) };
      for (let i = 0; i < n; i++) d.keys[i] = atomFromJson(type.key, inner[i]!, resolve);
    }
    if (!sortDatum(type, d)) throw new OvsdbError('ovsdb error', type.value ? 'map contains duplicate key' : 'set contains duplicate');
    return d;
  }
  return { keys: [atomFromJson(type.key, json, resolve)] };
}

export function datumToJson(type: ColumnType, d: Datum): Json {
  const kt = type.key.type;
  if (type.value) {
    const vt = type.value.type;
    const pairs: Json[] = new Array(d.keys.length);
    for (let i = 0; i < d.keys.length; i++) pairs[i] = [atomToJson(kt, d.keys[i]!), atomToJson(vt, d.values![i]!)];
    return ['map', pairs];
  }
  if (d.keys.length === 1) return atomToJson(kt, d.keys[0]!);
  return ['set', d.keys.map((k) => atomToJson(kt, k))];
}

export function datumEquals(a: Datum, b: Datum): boolean {
  const n = a.keys.length;
  if (n !== b.keys.length) return false;
  for (let i = 0; i < n; i++) if (a.keys[i] !== b.keys[i]) return false;
  if (a.values) for (let i = 0; i < n; i++) if (a.values[i] !== b.values![i]) return false;
  return true;
}

/** Index of `key` in the sorted keys (the first `n` of them), or -(insertion point) - 1. */
export function findKey(type: AtomicType, keys: Atom[], key: Atom, n = keys.length): number {
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareAtoms(type, keys[mid]!, key);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

/** OVS's diff: scalar/optional -> the new value; set -> symmetric difference; map -> added and
 *  changed pairs with their new value plus removed pairs with their old value. */
export function diffDatum(type: ColumnType, oldD: Datum, newD: Datum): Datum {
  if (!isComposite(type)) return newD;
  const kt = type.key.type;
  const out: Datum = emptyDatum(type);
  let o = 0;
  let n = 0;
  const push = (d: Datum, i: number): void => {
    out.keys.push(d.keys[i]!);
    if (out.values) out.values.push(d.values![i]!);
  };
  while (o < oldD.keys.length && n < newD.keys.length) {
    const c = compareAtoms(kt, oldD.keys[o]!, newD.keys[n]!);
    if (c < 0) push(oldD, o++);
    else if (c > 0) push(newD, n++);
    else {
      if (out.values && oldD.values![o] !== newD.values![n]) push(newD, n);
      o++;
      n++;
    }
  }
  while (o < oldD.keys.length) push(oldD, o++);
  while (n < newD.keys.length) push(newD, n++);
  return out;
}

/** Inverse of diffDatum: old + diff -> new (throws "ovsdb error" if the result has a bad size). */
export function applyDatumDiff(type: ColumnType, oldD: Datum, diff: Datum): Datum {
  if (!isComposite(type)) return diff;
  const kt = type.key.type;
  const out: Datum = { keys: oldD.keys.slice() };
  if (type.value) out.values = oldD.values!.slice();
  for (let i = 0; i < diff.keys.length; i++) {
    const k = diff.keys[i]!;
    const at = findKey(kt, out.keys, k);
    if (at >= 0) {
      if (out.values && out.values[at] !== diff.values![i]) {
        out.values[at] = diff.values![i]!;
      } else {
        out.keys.splice(at, 1);
        if (out.values) out.values.splice(at, 1);
      }
    } else {
      const pos = -at - 1;
      out.keys.splice(pos, 0, k);
      if (out.values) out.values.splice(pos, 0, diff.values![i]!);
    }
  }
  if (out.keys.length < type.min || out.keys.length > type.max) {
    throw new OvsdbError('ovsdb error', 'Datum crated by diff has size error');
  }
  return out;
}

/** True when the datum's size fits the type. */
export function datumFitsCount(type: ColumnType, d: Datum): boolean {
  return d.keys.length >= type.min && d.keys.length <= type.max;
}

export function countError(type: ColumnType, d: Datum): OvsdbError {
  return new OvsdbError('constraint violation', `Attempted to store ${d.keys.length} elements in ${typeToEnglish(type)}.`);
}

// ---- wire helpers for other modules (the contract) ---------------------------------------------

/** Throws OvsdbError ("syntax error", "constraint violation", ...) unless `json` is a valid datum. */
export function checkDatumJson(type: ColumnType, json: Json): void {
  datumFromJson(type, json);
}

export function defaultDatumJson(type: ColumnType): Json {
  return datumToJson(type, defaultDatum(type));
}

export function datumEqualJson(type: ColumnType, a: Json, b: Json): boolean {
  return datumEquals(datumFromJson(type, a, undefined, true), datumFromJson(type, b, undefined, true));
}

export function diffDatumJson(type: ColumnType, oldV: Json, newV: Json): Json {
  return datumToJson(type, diffDatum(type, datumFromJson(type, oldV, undefined, true), datumFromJson(type, newV, undefined, true)));
}

export function applyDatumDiffJson(type: ColumnType, oldV: Json, diff: Json): Json {
  return datumToJson(type, applyDatumDiff(type, datumFromJson(type, oldV, undefined, true), datumFromJson(type, diff, undefined, true)));
}
