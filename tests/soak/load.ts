// Load run: N monitoring clients (monitor_cond on Open_vSwitch and Bridge) plus M writers
// committing small vswitch transactions as fast as the server answers, for a bounded time, against
// our ovsdb-server or the real /usr/sbin/ovsdb-server (unix sockets only, private temp dirs).
// Reports throughput, transact latency p50/p99, the server's peak RSS, errors, monitor updates.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../../engine/ovsdb/api.js';
import { connectOvsdb, type RpcOvsdbClient } from '../../engine/rpc/client.js';
import { createDb, peakRssKiB, startServer, type ServerKind } from './servers.js';

export interface LoadOptions {
  kind: ServerKind;
  clients: number;
  writers: number;
  seconds: number;
}

export interface LoadResult {
  kind: ServerKind;
  clients: number;
  writers: number;
  seconds: number;
  transactions: number;
  throughput: number;
  p50ms: number;
  p99ms: number;
  peakRssMiB: number;
  /** Server CPU time (user + system) per committed transaction during the run, in ms: the fair
   *  comparison on a machine shared with other work (and with this load generator). */
  cpuMsPerTxn: number;
  /** The system (kernel) part of cpuMsPerTxn. */
  sysMsPerTxn: number;
  errors: number;
  /** Update notifications received by the monitoring clients. */
  updates: number;
  /** Monitoring clients still connected at the end. */
  clientsAlive: number;
  firstError?: string;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function failed(res: Json[]): string | undefined {
  for (const r of res) if (r && typeof r === 'object' && !Array.isArray(r) && typeof r.error === 'string') return JSON.stringify(r);
  return undefined;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), `ovsps-h9-load-${opts.kind}-`));
  const dbPath = join(dir, 'conf.db');
  createDb(opts.kind, dbPath);
  const server = startServer(opts.kind, dir, dbPath, opts.kind);
  const conns: RpcOvsdbClient[] = [];
  const result: LoadResult = {
    kind: opts.kind, clients: opts.clients, writers: opts.writers, seconds: opts.seconds, transactions: 0, throughput: 0,
    p50ms: NaN, p99ms: NaN, peakRssMiB: NaN, cpuMsPerTxn: NaN, sysMsPerTxn: NaN, errors: 0, updates: 0, clientsAlive: 0,
  };
  const error = (m: string): void => { result.errors++; result.firstError ??= m; };
  try {
    await server.ready();
    const admin = await connectOvsdb(server.target);
    conns.push(admin);
    const r0 = await admin.transact('Open_vSwitch', [{ op: 'insert', table: 'Open_vSwitch', row: {} }]);
    if (failed(r0)) throw new Error(`cannot create the Open_vSwitch row: ${failed(r0)}`);
    // Monitoring clients, connected in batches.
    const monitors: RpcOvsdbClient[] = [];
    for (let i = 0; i < opts.clients; i += 20) {
      const batch = await Promise.all(Array.from({ length: Math.min(20, opts.clients - i) }, async () => {
        try {
          const c = await connectOvsdb(server.target);
          await c.monitor('Open_vSwitch', 'mon', {
            Open_vSwitch: [{ columns: ['bridges', 'next_cfg'] }], Bridge: [{ columns: ['name', 'external_ids'] }],
          }, () => { result.updates++; });
          return c;
        } catch (e) {
          error(`monitor client: ${(e as Error).message}`);
          return undefined;
        }
      }));
      for (const c of batch) if (c) { monitors.push(c); conns.push(c); }
    }
    const latencies: number[] = [];
    const cpu0 = procCpuMs(server.pid);
    const deadline = Date.now() + opts.seconds * 1000;
    await Promise.all(Array.from({ length: opts.writers }, async (_, w) => {
      let c: RpcOvsdbClient;
      try {
        c = await connectOvsdb(server.target);
      } catch (e) {
        error(`writer connect: ${(e as Error).message}`);
        return;
      }
      conns.push(c);
      const mine: { name: string; uuid: string }[] = [];
      let n = 0;
      while (Date.now() < deadline) {
        let ops: Json[];
        let kind: 'insert' | 'update' | 'delete';
        if (mine.length < 3 || (mine.length < 6 && n % 3 === 0)) {
          kind = 'insert';
          const name = `w${w}-${n}`;
          ops = [
            { op: 'insert', table: 'Interface', 'uuid-name': 'i', row: { name } },
            { op: 'insert', table: 'Port', 'uuid-name': 'p', row: { name, interfaces: ['named-uuid', 'i'] } },
            { op: 'insert', table: 'Bridge', 'uuid-name': 'b', row: { name, ports: ['named-uuid', 'p'] } },
            { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', ['set', [['named-uuid', 'b']]]]] },
          ];
          mine.push({ name, uuid: '' });
        } else if (n % 3 !== 2) {
          kind = 'update';
          const b = mine[n % mine.length]!;
          ops = [{ op: 'update', table: 'Bridge', where: [['name', '==', b.name]], row: { external_ids: ['map', [['n', String(n)]]] } }];
        } else {
          kind = 'delete';
          const b = mine.shift()!;
          ops = [{ op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'delete', ['set', [['uuid', b.uuid]]]]] }];
        }
        n++;
        const t0 = process.hrtime.bigint();
        try {
          const res = await c.transact('Open_vSwitch', ops);
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          const bad = failed(res);
          if (bad) { error(`writer ${w} ${kind}: ${bad}`); continue; }
          result.transactions++;
          if (kind === 'insert') mine[mine.length - 1]!.uuid = String(((res[2] as { uuid: Json[] }).uuid)[1]);
        } catch (e) {
          error(`writer ${w}: ${(e as Error).message}`);
          break;
        }
      }
    }));
    const cpu1 = procCpuMs(server.pid);
    // Let the last updates arrive, then read the server's peak RSS while it is still alive.
    await admin.echo();
    await new Promise((r) => setTimeout(r, 200));
    if (cpu0 !== undefined && cpu1 !== undefined && result.transactions > 0) {
      result.cpuMsPerTxn = Math.round(((cpu1.user + cpu1.sys - cpu0.user - cpu0.sys) / result.transactions) * 1000) / 1000;
      result.sysMsPerTxn = Math.round(((cpu1.sys - cpu0.sys) / result.transactions) * 1000) / 1000;
    }
    result.clientsAlive = monitors.filter((m) => !m.closed).length;
    const rss = peakRssKiB(server.pid);
    result.peakRssMiB = rss === undefined ? NaN : Math.round(rss / 102.4) / 10;
    latencies.sort((a, b) => a - b);
    result.p50ms = Math.round(percentile(latencies, 50) * 100) / 100;
    result.p99ms = Math.round(percentile(latencies, 99) * 100) / 100;
    result.throughput = Math.round(result.transactions / opts.seconds);
  } finally {
    for (const c of conns) await c.close().catch(() => {});
    await server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

/** CPU time (user, system) process `pid` has used so far, in ms (clock ticks of 10 ms). */
function procCpuMs(pid: number): { user: number; sys: number } | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { user: Number(fields[11]) * 10, sys: Number(fields[12]) * 10 };
  } catch {
    return undefined;
  }
}

export function formatLoad(r: LoadResult): string {
  return `${r.kind.padEnd(5)} ${r.clients} monitors + ${r.writers} writers, ${r.seconds} s: ${r.transactions} txns (${r.throughput}/s), ` +
    `p50 ${r.p50ms} ms, p99 ${r.p99ms} ms, peak RSS ${r.peakRssMiB} MiB, server CPU ${r.cpuMsPerTxn} ms/txn (sys ${r.sysMsPerTxn}), ${r.updates} updates, ${r.clientsAlive}/${r.clients} monitors alive, ${r.errors} errors` +
    (r.firstError ? ` (first: ${r.firstError})` : '');
}
