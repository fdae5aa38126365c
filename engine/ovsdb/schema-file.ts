// Reading an .ovsschema file the way OVS's tools report it: ovsdb-tool and ovsdb-client both say
// `failed to read schema: "FILE" could not be read as JSON (...)` for a file that cannot be
// opened or parsed (OVS's JSON parser and its messages), and, for a schema that breaks a rule, OVS's
// first error wrapped as ovsdb_schema_from_file wraps it:
// `syntax "<json>": syntax error: failed to parse "FILE" as ovsdb schema: <details>`.
//
// OVS reads the file as a byte stream (json_from_file), which differs from reading a string:
// - a directory opens but cannot be read: "error reading JSON stream: Is a directory";
// - a NUL byte is a character like any other control character ("invalid character U+0000", or
//   "U+0000 must be escaped in quoted string"), not the end of the text;
// - bytes that are not UTF-8 are kept: each such byte becomes U+DC80..U+DCFF here (as Python's
//   "surrogateescape" does), so the schema checks can tell them apart (an enum string holding
//   them fails OVS's UTF-8 check, schema-ovs-check.ts).
import { readFileSync } from 'node:fs';
import { parseSchema, type DatabaseSchema } from './schema.js';
import { OvsSchemaError } from './schema-ovs-check.js';
import { SchemaError } from './errors.js';
import { strerror } from '../util/errno-text.js';
import { OvsJsonSyntaxError, parseOvsJson } from '../util/ovs-json.js';

/** Length of the well-formed UTF-8 sequence at buf[i] (RFC 3629), or 0. */
function utf8SequenceLength(buf: Uint8Array, i: number): number {
  const c = buf[i]!;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) { n = 3; if (c === 0xe0) lo = 0xa0; if (c === 0xed) hi = 0x9f; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4; if (c === 0xf0) lo = 0x90; if (c === 0xf4) hi = 0x8f; }
  else return 0;
  if (i + n > buf.length) return 0;
  if (buf[i + 1]! < lo || buf[i + 1]! > hi) return 0;
  for (let k = 2; k < n; k++) if (buf[i + k]! < 0x80 || buf[i + k]! > 0xbf) return 0;
  return n;
}

/** The file's bytes as text: UTF-8, each byte outside a well-formed sequence as U+DC80..U+DCFF
 *  (`raw`: there was such a byte). */
export function decodeSchemaBytes(buf: Buffer): { text: string; raw: boolean } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf), raw: false };
  } catch {
    let out = '';
    let start = 0;
    let i = 0;
    while (i < buf.length) {
      const n = utf8SequenceLength(buf, i);
      if (n) {
        i += n;
        continue;
      }
      out += buf.toString('utf8', start, i) + String.fromCharCode(0xdc00 + buf[i]!);
      i++;
      start = i;
    }
    return { text: out + buf.toString('utf8', start, i), raw: true };
  }
}

/** OVS's JSON parser over the whole file, NUL bytes included (parseOvsJson stops at the first NUL
 *  as json_from_string does: each NUL is handed over as U+0001, which fails at the same place). */
function parseFileJson(text: string, buf: Buffer): unknown {
  if (!text.includes('\0')) return parseOvsJson(text);
  try {
    return parseOvsJson(text.replace(/\0/g, '\u0001'));
  } catch (e) {
    if (e instanceof OvsJsonSyntaxError && buf[e.byte] === 0 && e.reason.includes('U+0001')) {
      throw new OvsJsonSyntaxError(e.line, e.column, e.byte, e.reason.replace('U+0001', 'U+0000'));
    }
    throw e;
  }
}

export function readSchemaFile(path: string): DatabaseSchema {
  const cannot = (why: string): SchemaError => new SchemaError(`failed to read schema: "${path}" could not be read as JSON (${why})`);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // A directory opens (fopen) and fails when read.
    if (err.code === 'EISDIR') throw cannot(`error reading JSON stream: ${strerror(err)}`);
    throw cannot(`error opening "${path}": ${strerror(err)}`);
  }
  let json: unknown;
  const { text, raw } = decodeSchemaBytes(buf);
  try {
    json = parseFileJson(text, buf);
  } catch (e) {
    throw cannot((e as Error).message);
  }
  try {
    return parseSchema(json, { rawBytes: raw });
  } catch (e) {
    if (e instanceof OvsSchemaError) throw e.wrap(`failed to parse "${path}" as ovsdb schema`);
    throw e;
  }
}
