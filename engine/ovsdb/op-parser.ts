// Reads the members of an RFC 7047 operation the way ovsdb-server does (lib/ovsdb-parser.c), so
// that messages match: "Parsing ovsdb operation 2 of 3 failed: Required 'table' member is missing."
import type { Json, JsonObject } from './api.js';
import { OvsdbError, syntaxError } from './errors.js';
import { isId } from './schema.js';

/** Accepted JSON kinds of a member, as bit flags. */
export const K_STRING = 1;
export const K_ID = 2;
export const K_OBJECT = 4;
export const K_ARRAY = 8;
export const K_INTEGER = 16;
export const K_NUMBER = 32;
export const K_BOOLEAN = 64;

function kindOk(v: Json, kinds: number): boolean {
  switch (typeof v) {
    case 'string': return (kinds & K_STRING) !== 0 || ((kinds & K_ID) !== 0 && isId(v));
    case 'number': return (kinds & K_NUMBER) !== 0 || ((kinds & K_INTEGER) !== 0 && Number.isInteger(v));
    case 'boolean': return (kinds & K_BOOLEAN) !== 0;
    case 'object':
      if (v === null) return false;
      return Array.isArray(v) ? (kinds & K_ARRAY) !== 0 : (kinds & K_OBJECT) !== 0;
    default: return false;
  }
}

export class OpParser {
  private readonly obj: JsonObject | undefined;
  private readonly used: string[] = [];
  private error: OvsdbError | undefined;

  /** `name` describes the object in messages; `index`/`count` make it "ovsdb operation i of n". */
  constructor(json: Json, private readonly name: string, private readonly index = 0, private readonly count = 0) {
    this.obj = json !== null && typeof json === 'object' && !Array.isArray(json) ? json : undefined;
    if (!this.obj) this.raise('Object expected.');
  }

  raise(message: string): void {
    if (!this.error) {
      const what = this.count ? `${this.name} ${this.index} of ${this.count}` : this.name;
      this.error = syntaxError(this.obj, `Parsing ${what} failed: ${message}`);
    }
  }

  get json(): JsonObject | undefined {
    return this.obj;
  }

  hasError(): boolean {
    return this.error !== undefined;
  }

  getError(): OvsdbError | undefined {
    return this.error;
  }

  member(name: string, kinds: number, optional = false): Json | undefined {
    const obj = this.obj;
    if (!obj) return undefined;
    const v = obj[name];
    if (v === undefined) {
      if (!optional) this.raise(`Required '${name}' member is missing.`);
      return undefined;
    }
    if (!kindOk(v, kinds)) {
      this.raise(`Type mismatch for member '${name}'.`);
      return undefined;
    }
    if (!this.used.includes(name)) this.used.push(name);
    return v;
  }

  /** The parse error, if any, including members that were present but never read. */
  finish(): OvsdbError | undefined {
    if (!this.error && this.obj) {
      const keys = Object.keys(this.obj);
      if (keys.length !== this.used.length) {
        const unused = keys.filter((k) => !this.used.includes(k));
        if (unused.length > 1) {
          this.raise(`Member '${unused[0]}' and ${unused.length - 1} other member${unused.length > 2 ? 's' : ''} are present but not allowed here.`);
        } else if (unused.length === 1) {
          this.raise(`Member '${unused[0]}' is present but not allowed here.`);
        }
      }
    }
    return this.error;
  }
}
