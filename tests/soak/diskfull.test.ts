// Disk full and read-only file systems, on a tiny tmpfs mounted by the test (root only):
//  - our ovsdb-server with its database on a 256 KiB tmpfs, filled by a client until commits fail:
//    the failure is a clear transaction error (not a crash, not a hang), reads keep working, the
//    server stays up, and after a SIGKILL the file reopens with every acknowledged commit and
//    passes the integrity check;
//  - a database on a file system that became read-only: opening it for writing fails with a clear
//    error naming the file, opening it read-only still reads everything.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../../engine/ovsdb/api.js';
import { openDatabaseFile } from '../../engine/ovsdb/file-db.js';
import { connectOvsdb } from '../../engine/rpc/client.js';
import { needRoot } from '../lib/env.js';
import { checkIntegrity } from './integrity.js';
import { createDb, startServer } from './servers.js';

t.setTimeout(600_000); // also when the file is run directly (tap's default is 30 s)

function mountTmpfs(t: Test, size: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h9-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'ovsps-h9', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmdirSync(dir);
    throw new Error(`mount -t tmpfs failed: ${r.stderr}`);
  }
  t.teardown(() => {
    if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
    try { rmdirSync(dir); } catch { /* still busy: left for the OS */ }
  });
  return dir;
}

function canMount(): string | false {
  const why = needRoot();
  if (why) return why;
  const r = spawnSync('sh', ['-c', 'command -v mount && command -v umount']);
  return r.status === 0 ? false : 'mount/umount not available';
}

function firstError(res: Json[]): { error?: string; details?: string } | undefined {
  return res.find((r) => r && typeof r === 'object' && !Array.isArray(r) && 'error' in r) as { error?: string; details?: string } | undefined;
}

t.test('disk full under our ovsdb-server: clear error, reads work, nothing committed is damaged', { skip: canMount(), timeout: 120_000 }, async (t) => {
  const dir = mountTmpfs(t, '256k');
  const dbPath = join(dir, 'conf.db');
  createDb('ours', dbPath);
  const server = startServer('ours', dir, dbPath, 'full');
  t.teardown(() => server.kill('SIGKILL'));
  await server.ready();
  const c = await connectOvsdb(server.target);
  t.notOk(firstError(await c.transact('Open_vSwitch', [{ op: 'insert', table: 'Open_vSwitch', row: {} }])), 'first commit works');
  const acked: string[] = [];
  let failure: { error?: string; details?: string } | undefined;
  for (let i = 0; i < 400 && !failure; i++) {
    const name = `full${i}`;
    const res = await c.transact('Open_vSwitch', [
      { op: 'insert', table: 'Bridge', 'uuid-name': 'b', row: { name, external_ids: ['map', [['pad', 'z'.repeat(4000)]]] } },
      { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', ['set', [['named-uuid', 'b']]]]] },
    ]);
    failure = firstError(res);
    if (!failure) acked.push(name);
  }
  t.ok(acked.length > 0, `${acked.length} commits acknowledged before the disk filled`);
  t.ok(failure, 'a commit failed once the file system was full');
  t.comment(`error reply: ${JSON.stringify(failure)}`);
  t.match(failure?.error, /I\/O error|resources exhausted/, 'the error is an OVSDB I/O / resources error');
  t.match(String(failure?.details ?? ''), /No space left|ENOSPC|space/i, 'the details say the disk is full');
  const sel = await c.transact('Open_vSwitch', [{ op: 'select', table: 'Bridge', where: [], columns: ['name'] }]);
  const names = new Set(((sel[0] as { rows: { name: string }[] }).rows).map((r) => r.name));
  t.same(acked.filter((n) => !names.has(n)), [], 'reads still work and show every acknowledged bridge');
  t.notOk([...names].some((n) => !acked.includes(n)), 'the failed commit is not visible');
  t.same(await c.echo(['up']), ['up'], 'the server is still up');
  await c.close();
  await server.kill('SIGKILL');
  const db = await openDatabaseFile(dbPath, { readOnly: false, onWarning: (m) => t.comment(`reopen warning: ${m}`), autoCompact: false });
  try {
    const have = new Set([...db.rows('Bridge')].map((r) => String(r.name)));
    t.same(acked.filter((n) => !have.has(n)), [], 'after SIGKILL and reopen every acknowledged bridge is in the file');
    t.same(checkIntegrity(db, db.schema), [], 'the reopened database passes the integrity check');
  } finally {
    await db.close();
  }
});

t.test('read-only file system: open for writing fails clearly, read-only open reads everything', { skip: canMount(), timeout: 60_000 }, async (t) => {
  const dir = mountTmpfs(t, '1m');
  const dbPath = join(dir, 'conf.db');
  createDb('ours', dbPath);
  const db = await openDatabaseFile(dbPath);
  await db.transact([{ op: 'insert', table: 'Open_vSwitch', row: { external_ids: ['map', [['k', 'v']]] } }]);
  await db.close();
  const bytes = readFileSync(dbPath);
  const r = spawnSync('mount', ['-o', 'remount,ro', dir], { encoding: 'utf8' });
  t.equal(r.status, 0, `remounted read-only ${r.stderr}`);
  t.teardown(() => { spawnSync('mount', ['-o', 'remount,rw', dir]); });
  let err: unknown;
  try {
    const w = await openDatabaseFile(dbPath);
    await w.close();
  } catch (e) {
    err = e;
  }
  t.ok(err, 'opening for writing fails');
  t.comment(`error: ${(err as Error)?.message}`);
  t.match((err as { code?: string })?.code, /^OVSDB_E_/, 'with a typed OVSDB error');
  t.match((err as Error)?.message, /Read-only file system|EROFS|read-only/i, 'whose message says the file system is read-only');
  t.match((err as Error)?.message, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'and names the file');
  const ro = await openDatabaseFile(dbPath, { readOnly: true });
  const rows = [...ro.rows('Open_vSwitch')];
  t.equal(rows.length, 1, 'a read-only open reads the committed row');
  t.same(rows[0]?.external_ids, ['map', [['k', 'v']]], 'with its data');
  await ro.close();
  t.ok(readFileSync(dbPath).equals(bytes), 'the file is unchanged');
});
