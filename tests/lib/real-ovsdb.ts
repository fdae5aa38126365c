// A real Open vSwitch ovsdb-server for differential tests: a private temp dir holding the database
// (made by the real `ovsdb-tool create`), a unix socket, a unixctl socket, a pidfile and a log file.
// The server runs in the foreground as our child and is killed by stop(). A tiny JSON-RPC client
// talks to it directly over the socket (no ovsdb-client), so requests and replies are seen raw.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { parseJson, stringifyJson } from '../../engine/util/json-int64.js';

export const OVSDB_SERVER = '/usr/sbin/ovsdb-server';
export const OVSDB_TOOL = '/usr/bin/ovsdb-tool';

/** Splits a byte stream of concatenated JSON values (JSON-RPC 1.0 over a raw stream). */
export class JsonValueSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private scanned = 0;

  /** Feeds text; returns every complete top-level value found so far. */
  push(text: string): Json[] {
    this.buf += text;
    const out: Json[] = [];
    let start = 0;
    for (let i = this.scanned; i < this.buf.length; i++) {
      const c = this.buf[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === 0) {
          out.push(parseJson(this.buf.slice(start, i + 1)) as Json);
          start = i + 1;
        }
      }
    }
    this.buf = this.buf.slice(start).replace(/^\s+/, '');
    this.scanned = this.buf.length;
    return out;
  }
}

/** Minimal JSON-RPC 1.0 client over a unix socket; answers the server's echo probes. */
export class RawJsonRpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: JsonObject) => void; reject: (e: Error) => void }>();
  private readonly splitter = new JsonValueSplitter();
  private closed = false;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      for (const msg of this.splitter.push(chunk)) this.onMessage(msg as JsonObject);
    });
    sock.on('close', () => this.failAll(new Error('ovsdb-server connection closed')));
    sock.on('error', (e) => this.failAll(e));
  }

  static connect(path: string): Promise<RawJsonRpcClient> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(path);
      sock.once('connect', () => resolve(new RawJsonRpcClient(sock)));
      sock.once('error', reject);
    });
  }

  private onMessage(msg: JsonObject): void {
    if (typeof msg.method === 'string') {
      if (msg.method === 'echo' && msg.id !== null && msg.id !== undefined) {
        this.sock.write(stringifyJson({ result: msg.params ?? [], error: null, id: msg.id }));
      }
      return; // notifications (update, locked, ...) are not used by the corpus
    }
    const id = msg.id;
    if (typeof id !== 'number') return;
    const p = this.pending.get(id);
    if (p) {
      this.pending.delete(id);
      p.resolve(msg);
    }
  }

  private failAll(e: Error): void {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Sends one request; resolves with the whole reply object `{result, error, id}`. */
  request(method: string, params: Json): Promise<JsonObject> {
    if (this.closed) return Promise.reject(new Error('ovsdb-server connection closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.sock.write(stringifyJson({ method, params, id }));
    });
  }

  close(): void {
    this.closed = true;
    this.sock.destroy();
  }
}

export interface RealOvsdbOptions {
  /** Schema file path; or give schemaJson. */
  schemaPath?: string;
  schemaJson?: Json;
}

// Servers still running when the test process exits (a crash, a forgotten stop()) are killed.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** One real ovsdb-server with a private database. */
export class RealOvsdb {
  readonly dir: string;
  readonly socketPath: string;
  readonly dbPath: string;
  readonly logPath: string;
  private readonly schemaPath: string;
  private child?: ChildProcess;
  private client?: RawJsonRpcClient;

  private constructor(opts: RealOvsdbOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'ovsps-h3-ovsdb-'));
    this.socketPath = join(this.dir, 'db.sock');
    this.dbPath = join(this.dir, 'db.db');
    this.logPath = join(this.dir, 'ovsdb-server.log');
    if (opts.schemaPath) this.schemaPath = opts.schemaPath;
    else if (opts.schemaJson !== undefined) {
      this.schemaPath = join(this.dir, 'schema.ovsschema');
      writeFileSync(this.schemaPath, stringifyJson(opts.schemaJson));
    } else throw new Error('RealOvsdb needs schemaPath or schemaJson');
  }

  /** Creates the database and starts the server; resolves once the socket accepts a connection. */
  static async start(opts: RealOvsdbOptions): Promise<RealOvsdb> {
    const s = new RealOvsdb(opts);
    try {
      await s.launch();
    } catch (e) {
      s.stop();
      throw e;
    }
    return s;
  }

  private async launch(fresh = true): Promise<void> {
    if (fresh) {
      rmSync(this.dbPath, { force: true });
      const r = spawnSync(OVSDB_TOOL, ['create', this.dbPath, this.schemaPath], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ovsdb-tool create failed: ${r.stderr}`);
    }
    const child = spawn(OVSDB_SERVER, [
      this.dbPath,
      `--remote=punix:${this.socketPath}`,
      `--unixctl=${join(this.dir, 'ovsdb-server.ctl')}`,
      `--pidfile=${join(this.dir, 'ovsdb-server.pid')}`,
      `--log-file=${this.logPath}`,
      '-vconsole:off',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    live.add(child);
    child.once('exit', () => live.delete(child));
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`ovsdb-server exited ${child.exitCode}: ${stderr}${this.log()}`);
      if (existsSync(this.socketPath)) {
        try {
          this.client = await RawJsonRpcClient.connect(this.socketPath);
          return;
        } catch { /* not listening yet */ }
      }
      if (Date.now() > deadline) throw new Error(`ovsdb-server did not open ${this.socketPath}: ${stderr}${this.log()}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  private log(): string {
    try { return readFileSync(this.logPath, 'utf8'); } catch { return ''; }
  }

  private async halt(): Promise<void> {
    this.client?.close();
    this.client = undefined;
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((res) => child.once('exit', res));
      child.kill('SIGTERM');
      await gone;
    }
    rmSync(this.socketPath, { force: true });
  }

  /** Restarts with a fresh, empty database (same schema). */
  async reset(): Promise<void> {
    await this.halt();
    await this.launch();
  }

  /** Restarts on the same database file (to see what was committed to disk). */
  async restart(): Promise<void> {
    await this.halt();
    await this.launch(false);
  }

  private rpc(): RawJsonRpcClient {
    if (!this.client) throw new Error('ovsdb-server is not running');
    return this.client;
  }

  /** JSON-RPC request; resolves with the full reply `{result, error, id}`. */
  request(method: string, params: Json): Promise<JsonObject> {
    return this.rpc().request(method, params);
  }

  /** `transact` on db: the result array, or `{"rpcError": <error>}` when the JSON-RPC reply
   *  itself carries an error (e.g. unknown database). */
  async transact(db: string, ops: Json[]): Promise<Json> {
    const reply = await this.request('transact', [db, ...ops]);
    if (reply.error !== null && reply.error !== undefined) return { rpcError: reply.error };
    return reply.result ?? null;
  }

  /** Kills the server and removes its directory. Safe to call twice. */
  stop(): void {
    this.client?.close();
    this.client = undefined;
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
    this.child = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
