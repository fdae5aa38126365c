// Crash soak: our ovsdb-server on a vswitch database made by our ovsdb-tool, a load generator
// committing transactions over the unix socket (several writers, each owning its own bridges), and
// SIGKILL at random moments (while committing, while compacting, while starting up). After every
// restart: every acknowledged change is there (acked inserts present, acked deletes gone, acked
// updates not older), the file and the server agree, and the database passes the integrity check.
// Each cycle also simulates a power cut on a copy of the file: the log is cut at a random offset
// inside its last record and must open (torn tail repaired) to exactly the state before that record.
import { copyFileSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { openDatabaseFile, type FileDatabase } from '../../engine/ovsdb/file-db.js';
import { readLog } from '../../engine/ovsdb/log-file.js';
import { connectOvsdb, type RpcOvsdbClient } from '../../engine/rpc/client.js';
import { unixctlTransact } from '../../engine/util/unixctl.js';
import { checkIntegrity } from './integrity.js';
import { Rng } from './rng.js';
import { createDb, startServer, type ServerProcess } from './servers.js';

export interface CrashSoakOptions {
  cycles: number;
  seed: number;
  writers?: number;
  /** Longest load period before the kill, ms. */
  maxRunMs?: number;
  log?: (line: string) => void;
}

export interface CrashSoakResult {
  cycles: number;
  acknowledged: number;
  lost: number;
  /** What was lost or wrong (first 50). */
  problems: string[];
  txnErrors: number;
  killsDuringStartup: number;
  killsDuringCompaction: number;
  powerCuts: number;
  powerCutFailures: number;
  durableCommits: number;
  seconds: number;
}

const DB = 'Open_vSwitch';

interface BridgeState { uuid: string; seq: number }

class Writer {
  readonly live = new Map<string, BridgeState>();
  readonly deleted = new Set<string>();
  /** Bridge deleted by the transaction in flight when the server was killed (may or may not be gone). */
  inflightDelete: string | undefined;
  private next = 0;
  constructor(readonly id: number) {}

  get prefix(): string { return `w${this.id}-`; }

  /** One random transaction and what its acknowledgement means for the model. */
  build(rng: Rng): { ops: Json[]; apply: (result: Json[]) => void; durable: boolean } {
    this.inflightDelete = undefined;
    const durable = rng.chance(0.1);
    const tail: Json[] = durable ? [{ op: 'commit', durable: true }] : [];
    const names = [...this.live.keys()];
    if (names.length < 3 || rng.chance(0.45)) {
      const count = rng.chance(0.1) ? rng.int(5, 25) : 1;
      const ops: Json[] = [];
      const made: { name: string; opIndex: number }[] = [];
      const refs: Json[] = [];
      for (let k = 0; k < count; k++) {
        const name = `${this.prefix}${this.next++}`;
        ops.push({ op: 'insert', table: 'Interface', 'uuid-name': `i${k}`, row: { name: `${name}i` } });
        ops.push({ op: 'insert', table: 'Port', 'uuid-name': `p${k}`, row: { name: `${name}p`, interfaces: ['named-uuid', `i${k}`] } });
        made.push({ name, opIndex: ops.length });
        ops.push({ op: 'insert', table: 'Bridge', 'uuid-name': `b${k}`, row: {
          name, ports: ['set', [['named-uuid', `p${k}`]]],
          external_ids: ['map', [['seq', '0'], ['pad', 'p'.repeat(rng.int(0, 400))]]],
        } });
        refs.push(['named-uuid', `b${k}`]);
      }
      ops.push({ op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', ['set', refs]]] });
      return {
        ops: [...ops, ...tail], durable,
        apply: (res) => {
          for (const m of made) {
            const r = res[m.opIndex] as { uuid?: Json } | null;
            const u = Array.isArray(r?.uuid) ? String(r!.uuid[1]) : '';
            this.live.set(m.name, { uuid: u, seq: 0 });
          }
        },
      };
    }
    const name = rng.pick(names);
    const st = this.live.get(name)!;
    if (rng.chance(0.6)) {
      const seq = st.seq + 1;
      return {
        ops: [{ op: 'update', table: 'Bridge', where: [['name', '==', name]], row: { external_ids: ['map', [['seq', String(seq)]]] } }, ...tail],
        durable,
        apply: () => { st.seq = seq; },
      };
    }
    this.inflightDelete = name;
    return {
      ops: [{ op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'delete', ['set', [['uuid', st.uuid]]]]] }, ...tail],
      durable,
      apply: () => { this.live.delete(name); this.deleted.add(name); this.inflightDelete = undefined; },
    };
  }
}

function resultFailed(res: Json[]): string | undefined {
  for (const r of res) {
    if (r && typeof r === 'object' && !Array.isArray(r) && typeof r.error === 'string') return JSON.stringify(r);
  }
  return undefined;
}

interface Observed { seq: number; uuid: string }

async function readBridges(client: RpcOvsdbClient): Promise<Map<string, Observed>> {
  const res = await client.transact(DB, [{ op: 'select', table: 'Bridge', where: [], columns: ['_uuid', 'name', 'external_ids'] }]);
  const rows = (res[0] as { rows?: JsonObject[] }).rows ?? [];
  const out = new Map<string, Observed>();
  for (const r of rows) {
    const ids = (r.external_ids as [string, [string, string][]])[1];
    const seq = Number(ids.find((p) => p[0] === 'seq')?.[1] ?? NaN);
    out.set(String(r.name), { seq, uuid: String((r._uuid as Json[])[1]) });
  }
  return out;
}

function snapshotBody(db: FileDatabase): string {
  const s = db.snapshotRecord();
  delete s._date;
  return JSON.stringify(s);
}

/** Cuts a copy of the log inside its last record; returns a problem text or undefined. */
async function powerCut(dbPath: string, dir: string, rng: Rng): Promise<string | undefined | 'skipped'> {
  const log = readLog(dbPath);
  if (log.tail) return `live file has a torn tail after restart: ${log.tail.error.message}`;
  if (log.records.length < 2) return 'skipped';
  const last = log.records[log.records.length - 1]!;
  const cutAt = rng.int(last.offset + 1, last.end - 1);
  const torn = join(dir, 'powercut.db');
  const clean = join(dir, 'clean.db');
  copyFileSync(dbPath, torn);
  copyFileSync(dbPath, clean);
  truncateSync(torn, cutAt);
  truncateSync(clean, last.offset);
  let a: FileDatabase | undefined;
  let b: FileDatabase | undefined;
  try {
    const warnings: string[] = [];
    try {
      a = await openDatabaseFile(torn, { onWarning: (m) => warnings.push(m), autoCompact: false });
    } catch (e) {
      return `power cut at offset ${cutAt} (last record ${last.offset}..${last.end}): open failed: ${(e as Error).message}`;
    }
    if (!a.repairedTail) return `power cut at offset ${cutAt}: open did not report the torn tail`;
    b = await openDatabaseFile(clean, { readOnly: true });
    if (snapshotBody(a) !== snapshotBody(b)) return `power cut at offset ${cutAt}: recovered state differs from the state before the last record`;
    const problems = checkIntegrity(a, a.schema);
    if (problems.length) return `power cut at offset ${cutAt}: integrity: ${problems[0]}`;
    // The repaired file must itself be a clean log now.
    const again = readLog(torn);
    if (again.tail || again.validEnd !== last.offset) return `power cut at offset ${cutAt}: repaired file still torn or wrong size (${again.validEnd} != ${last.offset})`;
    return undefined;
  } finally {
    await a?.close();
    await b?.close();
    rmSync(torn, { force: true });
    rmSync(clean, { force: true });
  }
}

export async function runCrashSoak(opts: CrashSoakOptions): Promise<CrashSoakResult> {
  const started = Date.now();
  const rng = new Rng(opts.seed);
  const log = opts.log ?? (() => {});
  const maxRunMs = opts.maxRunMs ?? 500;
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h9-crash-'));
  const dbPath = join(dir, 'conf.db');
  const writers = Array.from({ length: opts.writers ?? 4 }, (_, i) => new Writer(i));
  const result: CrashSoakResult = {
    cycles: 0, acknowledged: 0, lost: 0, problems: [], txnErrors: 0, killsDuringStartup: 0, killsDuringCompaction: 0,
    powerCuts: 0, powerCutFailures: 0, durableCommits: 0, seconds: 0,
  };
  const problem = (p: string, lost = true): void => {
    if (lost) result.lost++;
    if (result.problems.length < 50) result.problems.push(p);
    log(`crash soak: PROBLEM ${p}`);
  };
  let server: ServerProcess | undefined;
  try {
    createDb('ours', dbPath);
    let first = true;
    for (let cycle = 0; cycle <= opts.cycles; cycle++) {
      server = startServer('ours', dir, dbPath, 'ours');
      if (!first && cycle < opts.cycles && rng.chance(0.08)) {
        // Kill while the server is still opening the file / binding the socket (never on the last
        // pass: that one only verifies what the previous cycles left behind).
        await new Promise((r) => setTimeout(r, rng.int(0, 400)));
        await server.kill('SIGKILL');
        result.killsDuringStartup++;
        result.cycles++;
        continue;
      }
      await server.ready();
      const client = await connectOvsdb(server.target);
      if (first) {
        const r = await client.transact(DB, [{ op: 'insert', table: 'Open_vSwitch', row: {} }]);
        if (resultFailed(r)) throw new Error(`cannot create the Open_vSwitch row: ${JSON.stringify(r)}`);
        first = false;
      }
      // 1. Verify acknowledged changes against what the restarted server serves.
      const seen = await readBridges(client);
      for (const w of writers) {
        for (const [name, st] of w.live) {
          const o = seen.get(name);
          if (!o) {
            if (w.inflightDelete !== name) problem(`cycle ${cycle}: acknowledged bridge ${name} is missing after restart`);
          }
          else if (!(o.seq >= st.seq)) problem(`cycle ${cycle}: bridge ${name} has seq ${o.seq}, acknowledged ${st.seq}`);
        }
        for (const name of w.deleted) if (seen.has(name)) problem(`cycle ${cycle}: bridge ${name} was deleted (acknowledged) but is back`);
        // Resync with the outcome of the transaction that was in flight at the kill.
        w.inflightDelete = undefined;
        w.live.clear();
        for (const [name, o] of seen) if (name.startsWith(w.prefix)) w.live.set(name, { uuid: o.uuid, seq: o.seq });
      }
      // 2. The file itself: same bridges, integrity.
      const fdb = await openDatabaseFile(dbPath, { readOnly: true });
      try {
        const fileNames = new Set<string>();
        for (const r of fdb.rows('Bridge')) fileNames.add(String(r.name));
        if (fileNames.size !== seen.size || [...seen.keys()].some((n) => !fileNames.has(n))) {
          problem(`cycle ${cycle}: the file has ${fileNames.size} bridges but the server serves ${seen.size}`);
        }
        for (const p of checkIntegrity(fdb, fdb.schema)) problem(`cycle ${cycle}: integrity: ${p}`);
      } finally {
        await fdb.close();
      }
      // 3. Power cut on a copy.
      const pc = await powerCut(dbPath, dir, rng);
      if (pc !== 'skipped') {
        result.powerCuts++;
        if (pc !== undefined) { result.powerCutFailures++; problem(`cycle ${cycle}: ${pc}`); }
      }
      if (cycle === opts.cycles) {
        await client.close();
        break;
      }
      // 4. Load, then SIGKILL at a random moment (sometimes during a compaction).
      let stop = false;
      const loops = writers.map(async (w, i) => {
        const c = i === 0 ? client : await connectOvsdb(server!.target).catch(() => undefined);
        if (!c) return;
        while (!stop) {
          const t = w.build(rng);
          let res: Json[];
          try {
            res = await c.transact(DB, t.ops);
          } catch {
            break; // connection gone: the kill
          }
          const bad = resultFailed(res);
          if (bad) {
            result.txnErrors++;
            problem(`cycle ${cycle}: writer ${w.id} transaction failed: ${bad}`, false);
            continue;
          }
          t.apply(res);
          result.acknowledged++;
          if (t.durable) result.durableCommits++;
        }
        await c.close();
      });
      const runMs = rng.int(20, maxRunMs);
      if (rng.chance(0.15)) {
        setTimeout(() => { unixctlTransact(server!.ctlPath, 'ovsdb-server/compact').catch(() => {}); }, Math.max(0, runMs - rng.int(0, 10)));
        result.killsDuringCompaction++;
      }
      await new Promise((r) => setTimeout(r, runMs));
      await server.kill('SIGKILL');
      stop = true;
      await Promise.all(loops);
      result.cycles++;
      if (cycle % 10 === 0) log(`crash soak: cycle ${cycle + 1}/${opts.cycles}, ${result.acknowledged} acknowledged, ${result.lost} lost`);
    }
  } finally {
    if (server) await server.kill('SIGTERM');
    if (result.lost === 0) rmSync(dir, { recursive: true, force: true });
    else log(`crash soak: files kept in ${dir}`);
  }
  result.seconds = (Date.now() - started) / 1000;
  return result;
}
