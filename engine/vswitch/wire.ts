// Reading RFC 7047 wire values of the Open_vSwitch tables (sets, maps, uuids) as plain values.
import type { Json, RowJson } from '../ovsdb/api.js';

export function uuidOf(v: Json | undefined): string | undefined {
  return Array.isArray(v) && v[0] === 'uuid' && typeof v[1] === 'string' ? v[1] : undefined;
}

/** Members of a set value (a bare atom is a one-element set). */
export function setOf(v: Json | undefined): Json[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v) && v[0] === 'set' && Array.isArray(v[1])) return v[1];
  return [v];
}

export function uuidsOf(v: Json | undefined): string[] {
  return setOf(v).map((x) => uuidOf(x)).filter((x): x is string => x !== undefined);
}

export function mapOf(v: Json | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (Array.isArray(v) && v[0] === 'map' && Array.isArray(v[1])) {
    for (const pair of v[1]) {
      if (Array.isArray(pair) && pair.length === 2) out.set(String(pair[0]), String(pair[1]));
    }
  }
  return out;
}

/** An optional scalar (a 0..1 set): the value, or undefined for the empty set. */
export function optionalOf<T extends Json>(v: Json | undefined): T | undefined {
  const s = setOf(v);
  return s.length ? (s[0] as T) : undefined;
}

export function stringOf(v: Json | undefined): string {
  const x = optionalOf(v);
  return typeof x === 'string' ? x : '';
}

/** An optional integer column's value as a number (one beyond 2^53, a bigint on the wire, as the
 *  nearest double: rates, timeouts and sizes that large only need their magnitude). */
export function intOf(v: Json | undefined): number | undefined {
  const x = optionalOf(v);
  return typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : undefined;
}

/** An optional integer column's value exactly (number, or bigint beyond 2^53), for values that are
 *  copied back, such as next_cfg into cur_cfg. */
export function int64Of(v: Json | undefined): number | bigint | undefined {
  const x = optionalOf(v);
  return typeof x === 'number' || typeof x === 'bigint' ? x : undefined;
}

export function wireMap(m: Record<string, string | number>): Json {
  return ['map', Object.keys(m).sort().map((k) => [k, m[k]!])];
}

export function wireSet(values: Json[]): Json {
  return values.length === 1 ? values[0]! : ['set', values];
}

export function rowUuid(r: RowJson): string {
  return uuidOf(r._uuid) ?? '';
}
