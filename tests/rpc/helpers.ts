// Shared by the tests in tests/rpc: a small schema, a server on a private unix socket, clients.
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { createDatabase, type MemoryDatabase } from '../../engine/ovsdb/database.js';
import { parseSchema } from '../../engine/ovsdb/schema.js';
import { connectOvsdb, type RpcOvsdbClient } from '../../engine/rpc/client.js';
import type { Logger } from '../../engine/rpc/logger.js';
import { RpcError } from '../../engine/rpc/errors.js';
import { OvsdbServer, type ServerOptions } from '../../engine/rpc/server.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { sleep } from '../lib/wait.js';

export const TEST_SCHEMA: JsonObject = {
  name: 'T',
  version: '1.0.0',
  tables: {
    A: {
      columns: {
        name: { type: 'string' },
        n: { type: { key: 'integer', min: 0, max: 1 } },
        s: { type: { key: 'string', min: 0, max: 'unlimited' } },
        m: { type: { key: 'string', value: 'string', min: 0, max: 'unlimited' } },
      },
      isRoot: true,
      indexes: [['name']],
    },
  },
};

export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  info(m: string): void { this.lines.push('INFO ' + m); }
  warn(m: string): void { this.lines.push('WARN ' + m); }
  err(m: string): void { this.lines.push('ERR ' + m); }
  dbg(m: string): void { this.lines.push('DBG ' + m); }
}

export interface Harness {
  dir: string;
  sock: string;
  target: string;
  server: OvsdbServer;
  db: MemoryDatabase;
  logger: MemoryLogger;
  connect(): Promise<RpcOvsdbClient>;
  close(): Promise<void>;
}

/** A server with database T on punix:<tmp>/db.sock. */
export async function startServer(options: ServerOptions = {}, schema: Json = TEST_SCHEMA): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h4-'));
  const sock = join(dir, 'db.sock');
  const logger = new MemoryLogger();
  const server = new OvsdbServer({ logger, ...options });
  const db = createDatabase(parseSchema(schema));
  server.addDatabase(db);
  await server.listen(`punix:${sock}`);
  const clients: RpcOvsdbClient[] = [];
  return {
    dir, sock, target: `unix:${sock}`, server, db, logger,
    async connect() {
      const c = await connectOvsdb(`unix:${sock}`);
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) await c.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves with the next notification `method` on `c` (params). */
export function nextNotification(c: RpcOvsdbClient, method: string): Promise<Json[]> {
  return new Promise((resolve) => {
    const off = c.onNotification((m, p) => {
      if (m === method) {
        off();
        resolve(p);
      }
    });
  });
}

export function uuidOfInsert(result: Json[]): string {
  const r = result[0] as { uuid: [string, string] };
  return r.uuid[1];
}

export { sleep, waitFor, waitListening } from '../lib/wait.js';

/** The JSON-RPC `error` a request was answered with (throws if it succeeded or failed otherwise). */
export async function errorOf(p: Promise<unknown>): Promise<Json> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError) return e.error;
    throw e;
  }
  throw new Error('expected the request to fail, but it succeeded');
}


/** One of the project's OVS-named CLIs (engine/bin/NAME) as a child process; resolves with its
 *  exit status and output. */
export function runBin(name: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(projectRoot, 'engine', 'bin', name), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The files of an ovsdb-server a test starts as a daemon (engine/bin/ovsdb-server --detach). */
export interface DaemonFiles { dir: string; db: string; sock: string; ctl: string; log: string; pidfile: string }

/** A private directory with a new vswitch database for a daemon the test starts; at teardown the
 *  daemon named by the pidfile, if still running, is stopped (SIGTERM, SIGKILL after 2 s) and the
 *  directory removed. */
export async function daemonFiles(t: Test, tag: string): Promise<DaemonFiles> {
  const dir = mkdtempSync(join(tmpdir(), tag));
  const f: DaemonFiles = { dir, db: join(dir, 'conf.db'), sock: join(dir, 'db.sock'), ctl: join(dir, 'ctl'), log: join(dir, 'log'), pidfile: join(dir, 'pid') };
  t.teardown(async () => {
    if (existsSync(f.pidfile)) {
      const pid = Number(readFileSync(f.pidfile, 'utf8'));
      try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
      for (let i = 0; i < 40; i++) { try { process.kill(pid, 0); } catch { break; } await sleep(50); }
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const c = await runBin('ovsdb-tool', ['create', f.db, join(projectRoot, 'manifests', 'vswitch.ovsschema')]);
  t.equal(c.status, 0, `ovsdb-tool create ${c.stderr}`);
  return f;
}
