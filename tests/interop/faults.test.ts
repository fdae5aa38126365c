// Our ovsdb-server under faults: a client killed mid-transaction, 1 MB of garbage on the socket,
// 200 concurrent clients each with a monitor, and SIGKILL of the server followed by a restart with
// no acknowledged commit lost (the file also stays readable by real ovsdb-tool).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { connectOvsdb, type RpcOvsdbClient } from '../../engine/rpc/client.js';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { needRealOvs } from '../lib/env.js';

const SCHEMA = join(projectRoot, 'manifests', 'vswitch.ovsschema');
const OURS = join(projectRoot, 'engine', 'bin', 'ovsdb-server');
const root = mkdtempSync(join(tmpdir(), 'h6flt-'));
const db = join(root, 'conf.db');
const sock = join(root, 'db.sock');
let pid = 0;

function start(): void {
  const r = spawnSync(process.execPath, [OURS, '--detach', '--no-chdir', `--pidfile=${root}/pid`, `--log-file=${root}/log`,
    `--remote=punix:${sock}`, `--unixctl=${root}/ctl`, db], { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`ovsdb-server failed to start: ${r.stderr}`);
  pid = Number(readFileSync(join(root, 'pid'), 'utf8'));
}

function alive(): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function vsctl(...args: string[]) {
  return spawnSync('ovs-vsctl', [`--db=unix:${sock}`, '--no-wait', '--timeout=20', ...args], { encoding: 'utf8' });
}

const skip = needRealOvs();

t.test('faults', { skip }, async (t) => {
  mkdirSync(root, { recursive: true });
  spawnSync('ovsdb-tool', ['create', db, SCHEMA]);
  start();
  t.teardown(() => {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(root, { recursive: true, force: true });
  });
  t.equal(vsctl('init', '--', 'add-br', 'br0').status, 0);

  await t.test('client killed mid-transaction', async (t) => {
    // A child sends a blocking wait, a big transaction and half a message, then dies by SIGKILL.
    const script = `
      const s = require('net').createConnection(process.argv[1]);
      s.on('connect', () => {
        s.write(JSON.stringify({ method: 'transact', id: 1, params: ['Open_vSwitch',
          { op: 'wait', table: 'Bridge', timeout: 60000, where: [], columns: ['name'], until: '!=', rows: [{ name: 'br0' }] }] }));
        const ops = ['Open_vSwitch'];
        for (let i = 0; i < 500; i++) ops.push({ op: 'insert', table: 'QoS', row: { type: 'killed-' + i } });
        s.write(JSON.stringify({ method: 'transact', id: 2, params: ops }));
        s.write('{"method":"transact","id":3,"params":["Open_vSwitch",{"op":"insert","table":"QoS","row":{"type":"half');
        setTimeout(() => process.kill(process.pid, 'SIGKILL'), 30);
      });`;
    const child = spawn(process.execPath, ['-e', script, sock], { stdio: 'ignore' });
    const [, signal] = await new Promise<[number | null, string | null]>((r) => child.on('exit', (c, s) => r([c, s])));
    t.equal(signal, 'SIGKILL', 'client died mid-transaction');
    t.ok(alive(), 'server survives');
    t.equal(vsctl('add-br', 'br-after-kill').status, 0, 'server still commits');
    const q = vsctl('--bare', '--columns=type', 'find', 'QoS', 'type=half');
    t.equal(q.stdout.trim(), '', 'the half message did nothing');
    const killed = vsctl('--bare', '--columns=type', 'list', 'QoS').stdout.trim().split('\n').filter((l) => l.startsWith('killed-'));
    t.ok(killed.length === 0 || killed.length === 500, `the big transaction is all or nothing (${killed.length} rows)`);
  });

  await t.test('1 MB of garbage on the socket', async (t) => {
    for (const garbage of [randomBytes(1024 * 1024), Buffer.alloc(1024 * 1024, '['), Buffer.from('{"method":"echo","params":["' + 'x'.repeat(1024 * 1024) + '"],"id":1}')]) {
      const res = await new Promise<{ closed: boolean; data: string }>((resolve) => {
        const s = createConnection(sock);
        let data = '';
        s.on('data', (d) => { data += d.toString(); if (data.endsWith('}')) { s.destroy(); resolve({ closed: false, data }); } });
        s.on('error', () => { /* reset by server */ });
        s.on('close', () => resolve({ closed: true, data }));
        s.on('connect', () => s.write(garbage));
        setTimeout(() => { s.destroy(); resolve({ closed: false, data }); }, 5000);
      });
      t.ok(res.closed || res.data.length > 0, 'server answered or dropped the connection');
      t.ok(alive(), 'server survives');
    }
    t.equal(vsctl('br-exists', 'br0').status, 0, 'and keeps serving');
  });

  await t.test('200 concurrent clients, each with a monitor, all get the update', async (t) => {
    const clients: RpcOvsdbClient[] = [];
    t.teardown(async () => { for (const c of clients) await c.close(); });
    const seen = new Set<number>();
    let resolveAll!: () => void;
    const all = new Promise<void>((r) => { resolveAll = r; });
    await Promise.all(Array.from({ length: 200 }, async (_, i) => {
      const c = await connectOvsdb(`unix:${sock}`);
      clients.push(c);
      const r = await c.monitor('Open_vSwitch', `m${i}`, { Bridge: { columns: ['name'] } }, (u: JsonObject) => {
        const rows = Object.values((u.Bridge ?? {}) as JsonObject) as JsonObject[];
        if (rows.some((row) => JSON.stringify(row).includes('br-crowd'))) {
          seen.add(i);
          if (seen.size === 200) resolveAll();
        }
      });
      if (!JSON.stringify(r.updates).includes('br0')) throw new Error(`client ${i}: initial contents lack br0`);
    }));
    t.equal(clients.length, 200, '200 monitors established');
    t.equal(vsctl('add-br', 'br-crowd').status, 0);
    await Promise.race([all, new Promise((r) => setTimeout(r, 20000))]);
    t.equal(seen.size, 200, 'every client received the insert');
  });

  await t.test('SIGKILL during a write load, restart: no acknowledged commit lost', async (t) => {
    const acked = new Set<number>();
    const c = await connectOvsdb(`unix:${sock}`);
    let n = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const i = n++;
        try {
          const r = await c.transact('Open_vSwitch', [{ op: 'insert', table: 'QoS', row: { type: 'load', external_ids: ['map', [['n', String(i)]]] } }] as Json[]);
          if (Array.isArray(r) && r.length === 1 && r[0] && typeof r[0] === 'object' && 'uuid' in (r[0] as JsonObject)) acked.add(i);
        } catch {
          return; // connection gone
        }
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(pid, 'SIGKILL');
    stop = true;
    await Promise.all(workers);
    await c.close().catch(() => undefined);
    t.ok(acked.size > 0, `${acked.size} commits acknowledged before the kill`);
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
    start();
    const c2 = await connectOvsdb(`unix:${sock}`);
    const res = await c2.transact('Open_vSwitch', [{ op: 'select', table: 'QoS', where: [['type', '==', 'load']], columns: ['external_ids'] }]);
    await c2.close();
    const present = new Set<number>();
    for (const row of ((res[0] as JsonObject).rows as JsonObject[])) {
      for (const [k, v] of ((row.external_ids as Json[])[1] as Json[][])) if (k === 'n') present.add(Number(v));
    }
    const lost = [...acked].filter((i) => !present.has(i));
    t.same(lost, [], 'every acknowledged insert is in the restarted database');
    const show = spawnSync('ovsdb-tool', ['show-log', db], { encoding: 'utf8' });
    t.equal(show.status, 0, 'real ovsdb-tool reads the file after the crash');
  });
});
