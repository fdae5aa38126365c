// Reads the members of an RFC 7047 operation the way ovsdb-server does (lib/ovsdb-parser.c), so
// that messages match: "Parsing ovsdb operation 2 of 3 failed: Required 'table' member is missing."
import type { Json, JsonObject } from './api.js';
import { OvsdbError, syntaxError } from './errors.js';
import { isId } from './schema.js';

export type MemberKind = 'string' | 'id' | 'object' | 'array' | 'integer' | 'number' | 'boolean' | 'any';

export class OpParser {
  private readonly obj: JsonObject | undefined;
  private readonly used = new Set<string>();
  private error: OvsdbError | undefined;

  constructor(json: Json, private readonly name: string) {
    this.obj = json !== null && typeof json === 'object' && !Array.isArray(json) ? json : undefined;
    if (!this.obj) this.raise('Object expected.');
  }

  raise(message: string): void {
    if (!this.error) this.error = syntaxError(this.obj, `Parsing ${this.name} failed: ${message}`);
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

  member(name: string, kinds: MemberKind[], optional = false): Json | undefined {
    if (!this.obj) return undefined;
    if (!Object.prototype.hasOwnProperty.call(this.obj, name)) {
      if (!optional) this.raise(`Required '${name}' member is missing.`);
      return undefined;
    }
    const v = this.obj[name]!;
    const ok = kinds.some((k) => {
      switch (k) {
        case 'any': return true;
        case 'string': return typeof v === 'string';
        case 'id': return typeof v === 'string' && isId(v);
        case 'object': return v !== null && typeof v === 'object' && !Array.isArray(v);
        case 'array': return Array.isArray(v);
        case 'integer': return typeof v === 'number' && Number.isInteger(v);
        case 'number': return typeof v === 'number';
        case 'boolean': return typeof v === 'boolean';
      }
    });
    if (!ok) {
      this.raise(`Type mismatch for member '${name}'.`);
      return undefined;
    }
    this.used.add(name);
    return v;
  }

  /** The parse error, if any, including members that were present but never read. */
  finish(): OvsdbError | undefined {
    if (!this.error && this.obj) {
      const unused = Object.keys(this.obj).filter((k) => !this.used.has(k));
      if (unused.length > 1) {
        this.raise(`Member '${unused[0]}' and ${unused.length - 1} other member${unused.length > 2 ? 's' : ''} are present but not allowed here.`);
      } else if (unused.length === 1) {
        this.raise(`Member '${unused[0]}' is present but not allowed here.`);
      }
    }
    return this.error;
  }
}
