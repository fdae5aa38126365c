// A private real ovsdb-server (Debian's Open vSwitch) for differential tests: temp dir, own unix
// socket, pidfile and log; `transact` speaks JSON-RPC directly. Used only by tests/ovsdb/*.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../../engine/ovsdb/api.js';
import { parseJson, stringifyJson } from '../../engine/util/json-int64.js';

export class RealOvsdb {
  readonly dir: string;
  readonly dbPath: string;
  private proc?: ChildProcess;
  private sock?: Socket;
  private buf = '';
  private pending?: (v: Json) => void;
  private nextId = 1;

  constructor(private readonly schemaPath: string, readonly dbName: string) {
    this.dir = mkdtempSync(join(tmpdir(), 'ovsps-h1-'));
    this.dbPath = join(this.dir, 'db');
  }

  async start(): Promise<void> {
    const c = spawnSync('ovsdb-tool', ['create', this.dbPath, this.schemaPath], { encoding: 'utf8' });
    if (c.status !== 0) throw new Error(`ovsdb-tool create failed: ${c.stderr}`);
    const sockPath = join(this.dir, 'sock');
    this.proc = spawn('/usr/sbin/ovsdb-server', [this.dbPath, `--remote=punix:${sockPath}`,
      `--unixctl=${join(this.dir, 'ctl')}`, `--pidfile=${join(this.dir, 'pid')}`,
      `--log-file=${join(this.dir, 'log')}`, '-vconsole:off'], { stdio: 'ignore' });
    for (let i = 0; i < 200 && !existsSync(sockPath); i++) await new Promise((r) => setTimeout(r, 50));
    // The socket file appears at bind(), a moment before listen(): retry a refused connection.
    for (let attempt = 0; ; attempt++) {
      const sock = createConnection(sockPath);
      try {
        await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
        this.sock = sock;
        break;
      } catch (e) {
        sock.destroy();
        if (attempt >= 100 || (e as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    this.sock.on('data', (d) => {
      this.buf += d.toString('utf8');
      let msg: { id?: unknown; result?: Json; error?: Json; method?: string; params?: Json } | undefined;
      try {
        msg = parseJson(this.buf) as typeof msg;
      } catch {
        return;
      }
      this.buf = '';
      if (msg?.method === 'echo') {
        this.sock!.write(stringifyJson({ id: msg.id as Json, result: msg.params ?? null, error: null }));
        return;
      }
      const p = this.pending;
      this.pending = undefined;
      p?.(msg!.error !== null && msg!.error !== undefined ? { error: msg!.error } : msg!.result!);
    });
  }

  request(method: string, params: Json[]): Promise<Json> {
    return new Promise((resolve) => {
      this.pending = resolve;
      this.sock!.write(stringifyJson({ method, params, id: this.nextId++ }));
    });
  }

  transact(ops: Json[]): Promise<Json> {
    return this.request('transact', [this.dbName, ...ops]);
  }

  /** The JSON of every record in the database file (record 0 is the schema). */
  records(): Json[] {
    const r = spawnSync('cat', [this.dbPath], { encoding: 'utf8' });
    const lines = r.stdout.split('\n');
    const out: Json[] = [];
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.startsWith('OVSDB JSON ')) out.push(parseJson(lines[++i]!));
    }
    return out;
  }

  /** Stops the server (keeping its files); resolves once the process has exited. */
  stopServer(): Promise<void> {
    this.sock?.destroy();
    this.sock = undefined;
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGTERM');
    return exited;
  }

  stop(): void {
    void this.stopServer();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
