// OVSDB core + file storage benchmark: 100,000 rows inserted in one durable transaction, then
// 10,000 one-row durable transactions, against our in-process engine with its log file, and the
// same load through a private real ovsdb-server (Debian 3.1) over its unix socket for a ratio.
// The bulk insert runs twice: given as 100,001 operation objects (transact), and given as the
// JSON text a client sends, the params after the database name (transactText, which parses one
// operation at a time); the text is made as bytes and decoded once, as a server reading a socket
// would. Each phase runs in its own process so its peak RSS is its own (the whole process: node,
// the request, the database, the results). Prints numbers, asserts nothing.
// Usage: node .build/tests/bench/ovsdb-core.js            (all phases)
//        node .build/tests/bench/ovsdb-core.js <phase> <dir>   (one phase, used internally)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { createDatabaseFile, openDatabaseFile } from '../../engine/ovsdb/file-db.js';
import { composeRecord, readLog } from '../../engine/ovsdb/log-file.js';
import { cpuOfPid } from '../lib/bench.js';

const BULK_ROWS = 100_000;
const SMALL_TXNS = 10_000;

const SCHEMA: JsonObject = {
  name: 'Bench', version: '1.0.0',
  tables: {
    Item: {
      columns: {
        name: { type: 'string' },
        n: { type: 'integer' },
        external_ids: { type: { key: 'string', value: 'string', min: 0, max: 'unlimited' } },
      },
      isRoot: true,
      indexes: [['name']],
    },
  },
};

const insert = (i: number): Json => ({ op: 'insert', table: 'Item', row: { name: `item-${i}`, n: i, external_ids: ['map', [['k', `v${i}`]]] } });
const bulkOps = (): Json[] => {
  const ops: Json[] = new Array(BULK_ROWS + 1);
  for (let i = 0; i < BULK_ROWS; i++) ops[i] = insert(i);
  ops[BULK_ROWS] = { op: 'commit', durable: true };
  return ops;
};

/** The bulk transaction as a client sends it: one JSON array text, built as bytes (no op objects). */
const bulkText = (): string => {
  let buf = Buffer.allocUnsafe(16 << 20);
  let len = 0;
  const put = (s: string): void => {
    if (len + s.length * 3 > buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, len);
      buf = bigger;
    }
    len += buf.write(s, len, 'utf8');
  };
  put('[');
  for (let i = 0; i < BULK_ROWS; i++) put(`${JSON.stringify(insert(i))},`);
  put(`${JSON.stringify({ op: 'commit', durable: true })}]`);
  return buf.toString('utf8', 0, len);
};

interface PhaseResult { phase: string; seconds: number; cpuSeconds: number; count: number; rssMb: number; fileMb?: number; extra?: string }

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** CPU seconds (user + system) this process used since `from` (a process.cpuUsage() value). */
function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}


function checkOk(res: Json[], what: string): void {
  for (const r of res) {
    if (r && typeof r === 'object' && !Array.isArray(r) && 'error' in r) throw new Error(`${what} failed: ${JSON.stringify(r).slice(0, 300)}`);
  }
}

async function oursBulk(dir: string): Promise<PhaseResult> {
  const path = join(dir, 'ours-bulk.db');
  await createDatabaseFile(path, SCHEMA);
  const db = await openDatabaseFile(path);
  const ops = bulkOps();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const res = await db.transact(ops);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSince(c0);
  // Peak RSS of the insert itself (the bench's own 100k-op request array included, as a server
  // would hold the parsed request), before anything else runs in this process.
  const rssMb = peakRssMb();
  checkOk(res, 'bulk insert');
  await db.close();
  return { phase: 'ours-bulk', seconds: secs, cpuSeconds: cpu, count: BULK_ROWS, rssMb, fileMb: statSync(path).size / 1048576 };
}

async function oursBulkText(dir: string): Promise<PhaseResult> {
  const path = join(dir, 'ours-bulk-text.db');
  await createDatabaseFile(path, SCHEMA);
  const db = await openDatabaseFile(path);
  const text = bulkText();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const res = await db.transactText(text);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSince(c0);
  const rssMb = peakRssMb();
  checkOk(res, 'bulk insert (text)');
  if (res.length !== BULK_ROWS + 1) throw new Error(`${res.length} results, expected ${BULK_ROWS + 1}`);
  await db.close();
  return { phase: 'ours-bulk-text', seconds: secs, cpuSeconds: cpu, count: BULK_ROWS, rssMb, fileMb: statSync(path).size / 1048576,
    extra: `request as ${(text.length / 1048576).toFixed(1)} MB of JSON text, parsing included` };
}

/** Reopens the file ours-bulk wrote (replay of the 100k-row record), in a fresh process. */
async function oursReopen(dir: string): Promise<PhaseResult> {
  const path = join(dir, 'ours-bulk.db');
  const c0 = process.cpuUsage();
  const t1 = process.hrtime.bigint();
  const again = await openDatabaseFile(path);
  const secs = Number(process.hrtime.bigint() - t1) / 1e9;
  const cpu = cpuSince(c0);
  const rssMb = peakRssMb();
  let n = 0;
  for (const _ of again.rows('Item')) n++;
  await again.close();
  if (n !== BULK_ROWS) throw new Error(`reopened database has ${n} rows, expected ${BULK_ROWS}`);
  // The storage layer's own share: serialising + hashing the 100k-row record, and reading it back.
  const rec = readLog(path).records[1]!.json;
  const t2 = process.hrtime.bigint();
  const bytes = composeRecord(rec);
  const compose = Number(process.hrtime.bigint() - t2) / 1e9;
  const t3 = process.hrtime.bigint();
  readLog(path);
  const parse = Number(process.hrtime.bigint() - t3) / 1e9;
  return {
    phase: 'ours-reopen', seconds: secs, cpuSeconds: cpu, count: BULK_ROWS, rssMb, fileMb: statSync(path).size / 1048576,
    extra: `storage share: compose ${(bytes.length / 1048576).toFixed(1)} MB record ${compose.toFixed(2)} s, read+verify+parse ${parse.toFixed(2)} s`,
  };
}

async function oursSmall(dir: string): Promise<PhaseResult> {
  const path = join(dir, 'ours-small.db');
  await createDatabaseFile(path, SCHEMA);
  const db = await openDatabaseFile(path);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < SMALL_TXNS; i++) {
    const res = await db.transact([insert(i), { op: 'commit', durable: true }]);
    checkOk(res, `transaction ${i}`);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSince(c0);
  await db.close();
  return { phase: 'ours-small', seconds: secs, cpuSeconds: cpu, count: SMALL_TXNS, rssMb: peakRssMb(), fileMb: statSync(path).size / 1048576 };
}

/** A minimal JSON-RPC client over a unix socket (replies matched by id; server echo answered). */
class RpcClient {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = 0;
  private scanned = 0;
  private readonly pending = new Map<number, (msg: JsonObject) => void>();
  private nextId = 1;
  constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => this.feed(chunk));
  }

  static connect(path: string): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path, () => resolve(new RpcClient(s)));
      s.on('error', reject);
    });
  }

  private feed(chunk: string): void {
    this.buf += chunk;
    for (let i = this.scanned; i < this.buf.length; i++) {
      const c = this.buf.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 92) this.escaped = true;
        else if (c === 34) this.inString = false;
        continue;
      }
      if (c === 34) this.inString = true;
      else if (c === 123 || c === 91) { if (this.depth++ === 0) this.start = i; }
      else if (c === 125 || c === 93) {
        if (--this.depth === 0) this.dispatch(JSON.parse(this.buf.slice(this.start, i + 1)) as JsonObject);
      }
    }
    if (this.depth === 0) { this.buf = ''; this.scanned = 0; } else this.scanned = this.buf.length;
  }

  private dispatch(msg: JsonObject): void {
    if (msg['method'] === 'echo') {
      this.sock.write(JSON.stringify({ result: msg['params'], error: null, id: msg['id'] }));
      return;
    }
    const cb = this.pending.get(msg['id'] as number);
    if (cb) { this.pending.delete(msg['id'] as number); cb(msg); }
  }

  request(method: string, params: Json[]): Promise<JsonObject> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.sock.write(JSON.stringify({ method, params, id }));
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

async function withRealServer(dir: string, name: string, fn: (c: RpcClient) => Promise<number>): Promise<{ secs: number; cpuSeconds: number; rssMb: number; fileMb: number }> {
  const schemaPath = join(dir, 'bench.ovsschema');
  writeFileSync(schemaPath, JSON.stringify(SCHEMA));
  const db = join(dir, `${name}.db`);
  const c = spawnSync('ovsdb-tool', ['create', db, schemaPath], { encoding: 'utf8' });
  if (c.status !== 0) throw new Error(c.stderr);
  const sock = join(dir, `${name}.sock`);
  const srv = spawn('/usr/sbin/ovsdb-server', [db, `--remote=punix:${sock}`, `--unixctl=${join(dir, `${name}.ctl`)}`,
    `--log-file=${join(dir, `${name}.log`)}`, '--no-chdir'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
    const client = await RpcClient.connect(sock);
    const cpu0 = cpuOfPid(srv.pid!);
    const secs = await fn(client);
    const cpuSeconds = cpuOfPid(srv.pid!) - cpu0;
    client.close();
    const status = readFileSync(`/proc/${srv.pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return { secs, cpuSeconds, rssMb: hwm ? Number(hwm[1]) / 1024 : NaN, fileMb: statSync(db).size / 1048576 };
  } finally {
    srv.kill('SIGKILL');
  }
}

async function realBulk(dir: string): Promise<PhaseResult> {
  const ops = bulkOps();
  const r = await withRealServer(dir, 'real-bulk', async (c) => {
    const t0 = process.hrtime.bigint();
    const reply = await c.request('transact', ['Bench', ...ops]);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    checkOk(reply['result'] as Json[], 'real bulk insert');
    return secs;
  });
  return { phase: 'real-bulk', seconds: r.secs, cpuSeconds: r.cpuSeconds, count: BULK_ROWS, rssMb: r.rssMb, fileMb: r.fileMb, extra: 'ovsdb-server RSS; includes JSON-RPC over a unix socket' };
}

async function realSmall(dir: string): Promise<PhaseResult> {
  const r = await withRealServer(dir, 'real-small', async (c) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < SMALL_TXNS; i++) {
      const reply = await c.request('transact', ['Bench', insert(i), { op: 'commit', durable: true }]);
      checkOk(reply['result'] as Json[], `real transaction ${i}`);
    }
    return Number(process.hrtime.bigint() - t0) / 1e9;
  });
  return { phase: 'real-small', seconds: r.secs, cpuSeconds: r.cpuSeconds, count: SMALL_TXNS, rssMb: r.rssMb, fileMb: r.fileMb, extra: 'ovsdb-server RSS; sequential JSON-RPC round trips' };
}

const PHASES: Record<string, (dir: string) => Promise<PhaseResult>> = {
  'ours-bulk': oursBulk, 'ours-bulk-text': oursBulkText, 'ours-reopen': oursReopen, 'ours-small': oursSmall, 'real-bulk': realBulk, 'real-small': realSmall,
};

async function runPhase(phase: string, dir: string): Promise<PhaseResult | undefined> {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [self, phase, dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    console.log(`  ${phase}: failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PhaseResult;
}

function line(r: PhaseResult, unit: string): string {
  const rate = r.count / r.seconds;
  return `  ${r.phase.padEnd(14)} ${r.count} ${unit} in ${r.seconds.toFixed(3)} s wall, ${r.cpuSeconds.toFixed(3)} s CPU = ${Math.round(rate).toLocaleString('en-US')} ${unit}/s, `
    + `peak RSS ${r.rssMb.toFixed(0)} MB${r.fileMb !== undefined ? `, file ${r.fileMb.toFixed(1)} MB` : ''}${r.extra ? ` (${r.extra})` : ''}`;
}

async function orchestrate(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h13-bench-'));
  try {
    const haveReal = existsSync('/usr/sbin/ovsdb-server') && existsSync('/usr/bin/ovsdb-tool');
    console.log(`ovsdb-core: ${BULK_ROWS} rows in one durable transaction; ${SMALL_TXNS} one-row durable transactions (file storage in ${tmpdir()})`);
    const res: Record<string, PhaseResult | undefined> = {};
    for (const p of Object.keys(PHASES)) {
      if (p.startsWith('real') && !haveReal) { console.log(`  ${p}: skipped (real Open vSwitch not installed)`); continue; }
      res[p] = await runPhase(p, dir);
      if (res[p]) console.log(line(res[p]!, p.endsWith('small') ? 'txns' : 'rows'));
    }
    for (const kind of ['bulk', 'small']) {
      const a = res[`ours-${kind}`];
      const b = res[`real-${kind}`];
      if (a && b) {
        console.log(`  ratio ${kind} ours/real: wall ${(a.seconds / b.seconds).toFixed(2)}x, CPU ${(a.cpuSeconds / b.cpuSeconds).toFixed(2)}x, `
          + `peak RSS ${(a.rssMb / b.rssMb).toFixed(2)}x (real: server process only, its work includes JSON-RPC parsing; ours: in-process)`);
      }
    }
    for (const p of ['ours-bulk', 'ours-bulk-text']) {
      const bulk = res[p];
      if (!bulk) continue;
      console.log(`  targets (${p}): 100k rows < 2 s -> ${bulk.seconds.toFixed(2)} s wall ${bulk.seconds < 2 ? 'met' : 'MISSED'} (${bulk.cpuSeconds.toFixed(2)} s CPU ${bulk.cpuSeconds < 2 ? 'met' : 'MISSED'}); `
        + `RSS < 200 MB -> ${bulk.rssMb.toFixed(0)} MB ${bulk.rssMb < 200 ? 'met' : 'MISSED'}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [phase, dir] = process.argv.slice(2);
if (phase) {
  const fn = PHASES[phase];
  if (!fn || !dir) {
    console.error(`usage: ovsdb-core.js [${Object.keys(PHASES).join('|')} DIR]`);
    process.exit(1);
  }
  console.log(JSON.stringify(await fn(dir)));
} else {
  await orchestrate();
}
