// JSON text exactly as OVS's lib/json.c writes it: no spaces, object members sorted bytewise
// (JSSF_SORT), optional pretty printing with 2 spaces per level (JSSF_PRETTY), reals as "%.15g".
import type { Json } from '../ovsdb/api.js';
import { formatReal } from './number-format.js';
import { ovsShashOrder } from '../util/ovs-shash.js';

export function ovsJsonString(s: string): string {
  return JSON.stringify(s);
}

export function ovsJsonToText(json: Json, pretty = false): string {
  const out: string[] = [];
  write(json, 0, pretty, out, sortedKeys);
  return out.join('');
}

/** json_to_string(json, 0): object members in the order OVS's parser's shash walks them, for
 *  JSON OVS prints without JSSF_SORT (the members of a parsed object, in the text's order,
 *  inserted into a shash). */
export function ovsJsonToTextUnsorted(json: Json): string {
  const out: string[] = [];
  write(json, 0, false, out, (o) => ovsShashOrder(Object.keys(o)));
  return out.join('');
}

function sortedKeys(o: Record<string, Json>): string[] {
  return Object.keys(o).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function indent(depth: number, pretty: boolean, out: string[]): void {
  if (pretty) out.push('\n' + ' '.repeat(2 * depth));
}

function write(j: Json, depth: number, pretty: boolean, out: string[], keysOf: (o: Record<string, Json>) => string[]): void {
  if (j === null) out.push('null');
  else if (j === true) out.push('true');
  else if (j === false) out.push('false');
  else if (typeof j === 'number') out.push(Number.isInteger(j) ? String(j) : formatReal(j));
  else if (typeof j === 'bigint') out.push(String(j));
  else if (typeof j === 'string') out.push(ovsJsonString(j));
  else if (Array.isArray(j)) {
    out.push('[');
    if (j.length > 0) {
      indent(depth + 1, pretty, out);
      j.forEach((e, i) => {
        if (i) { out.push(','); indent(depth + 1, pretty, out); }
        write(e, depth + 1, pretty, out, keysOf);
      });
    }
    out.push(']');
  } else {
    out.push('{');
    indent(depth + 1, pretty, out);
    const keys = keysOf(j);
    keys.forEach((k, i) => {
      if (i) { out.push(','); indent(depth + 1, pretty, out); }
      out.push(ovsJsonString(k), pretty ? ': ' : ':');
      write(j[k] as Json, depth + 1, pretty, out, keysOf);
    });
    out.push('}');
  }
}
