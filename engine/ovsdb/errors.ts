// OVSDB errors as they travel on the wire: an RFC 7047 error string ("constraint violation", ...)
// plus optional human details and, for syntax errors, the offending JSON (OVS's "syntax" member).
import { OvsError } from '../util/errors.js';
import type { LimitError } from '../util/limits.js';
import type { Json, OvsdbErrorJson } from './api.js';
import { formatG } from './format.js';

/** Serializes JSON with object keys sorted, as OVS does for the "syntax" member of errors
 *  (reals as C's %.15g, like OVS's JSON writer). */
export function sortedJsonString(value: Json): string {
  // A number that is not an int64 integer is a real to OVS (an integer beyond 64 bits included).
  if (typeof value === 'number' && !(Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63)) return formatG(value);
  if (typeof value === 'bigint') return String(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map(sortedJsonString).join(',') + ']';
  const keys = Object.keys(value).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + sortedJsonString(value[k] as Json)).join(',') + '}';
}

function codeFor(error: string): string {
  return 'OVSDB_E_' + error.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/** One error of an OVSDB operation; `error` is the RFC 7047/OVS error string. */
export class OvsdbError extends OvsError {
  readonly error: string;
  readonly details?: string;
  readonly syntax?: string;

  constructor(error: string, details?: string, syntax?: Json | undefined) {
    super(codeFor(error), details === undefined ? error : `${error}: ${details}`);
    this.error = error;
    if (details !== undefined) this.details = details;
    if (syntax !== undefined) this.syntax = sortedJsonString(syntax);
  }

  /** ovsdb_error_to_string: `syntax "SYNTAX": ERROR: DETAILS`, as OVS's tools print an error. */
  toText(): string {
    return (this.syntax !== undefined ? `syntax "${this.syntax}": ` : '') + this.message;
  }

  toJson(): OvsdbErrorJson {
    const j: OvsdbErrorJson = { error: this.error };
    if (this.details !== undefined) j.details = this.details;
    if (this.syntax !== undefined) j.syntax = this.syntax;
    return j;
  }
}

/** A commit refused because it went over a server limit ("resources exhausted", details = the
 *  LimitError's message); `breach` carries the limit, the value seen and the bound. */
export class LimitExceededError extends OvsdbError {
  readonly breach: LimitError;

  constructor(breach: LimitError) {
    super('resources exhausted', breach.message);
    this.breach = breach;
  }
}

/** A "syntax error" naming the JSON it could not accept. */
export function syntaxError(json: Json | undefined, details: string, error = 'syntax error'): OvsdbError {
  return new OvsdbError(error, details, json);
}

/** A schema that breaks a rule of RFC 7047 section 3.2 or of OVS's extensions. */
export class SchemaError extends OvsError {
  constructor(message: string) {
    super('OVSDB_E_SCHEMA', message);
  }
}

/** A blocked transaction was canceled (JSON-RPC "cancel"); the server replies with the bare
 *  JSON-RPC error string "canceled". */
export class TransactCanceledError extends OvsdbError {
  constructor() {
    super('canceled');
  }
}
