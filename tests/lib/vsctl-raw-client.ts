// A minimal JSON-RPC OVSDB client for tests (unix: and tcp: targets), implementing OvsdbClient.
// Splits the byte stream into JSON values by tracking nesting outside strings; answers echo.
import { connect, type Socket } from 'node:net';
import type { Json, JsonObject, OvsdbClient } from '../../engine/ovsdb/api.js';
import { parseJson, stringifyJson } from '../../engine/util/json-int64.js';

export class RawOvsdbClient implements OvsdbClient {
  private readonly sock: Socket;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void }>();
  private buf = '';
  private depth = 0;
  private inStr = false;
  private esc = false;
  private start = -1;
  private scanned = 0;

  private constructor(sock: Socket) {
    this.sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.feed(d));
    sock.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('connection closed'));
      this.pending.clear();
    });
    sock.on('error', () => undefined);
  }

  static connect(target: string): Promise<RawOvsdbClient> {
    return new Promise((resolve, reject) => {
      let sock: Socket;
      if (target.startsWith('unix:')) sock = connect(target.slice(5));
      else if (target.startsWith('tcp:')) {
        const rest = target.slice(4);
        const i = rest.lastIndexOf(':');
        sock = connect(Number(rest.slice(i + 1)), rest.slice(0, i));
      } else {
        reject(Object.assign(new Error(`unsupported target ${target}`), { code: 'EAFNOSUPPORT' }));
        return;
      }
      sock.once('connect', () => resolve(new RawOvsdbClient(sock)));
      sock.once('error', reject);
    });
  }

  private feed(d: string): void {
    this.buf += d;
    const b = this.buf;
    for (let i = this.scanned; i < b.length; i++) {
      const c = b[i];
      if (this.inStr) {
        if (this.esc) this.esc = false;
        else if (c === '\\') this.esc = true;
        else if (c === '"') this.inStr = false;
        continue;
      }
      if (c === '"') this.inStr = true;
      else if (c === '{' || c === '[') { if (this.depth++ === 0) this.start = i; }
      else if (c === '}' || c === ']') {
        if (--this.depth === 0) {
          this.handle(parseJson(b.slice(this.start, i + 1)) as JsonObject);
          this.buf = b.slice(i + 1);
          this.scanned = 0;
          this.feed('');
          return;
        }
      }
    }
    this.scanned = b.length;
  }

  private handle(m: JsonObject): void {
    if (m.method === 'echo' && m.id !== undefined) {
      this.sock.write(stringifyJson({ id: m.id, result: m.params, error: null }));
      return;
    }
    if (typeof m.id === 'number' && m.method === undefined) {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== null && m.error !== undefined) p.reject(new Error(stringifyJson(m.error)));
      else p.resolve(m.result as Json);
    }
  }

  request(method: string, params: Json[]): Promise<Json> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.sock.write(stringifyJson({ id, method, params }));
    });
  }

  async listDbs(): Promise<string[]> {
    return (await this.request('list_dbs', [])) as string[];
  }
  async getSchema(db: string): Promise<JsonObject> {
    return (await this.request('get_schema', [db])) as JsonObject;
  }
  async transact(db: string, ops: Json[]): Promise<Json[]> {
    return (await this.request('transact', [db, ...ops])) as Json[];
  }
  async close(): Promise<void> {
    this.sock.end();
    this.sock.destroy();
  }
}
