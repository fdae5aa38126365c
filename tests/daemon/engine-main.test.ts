// engine/main.ts: conf.db created with its Open_vSwitch row, default socket/pidfile/log paths under
// the OVS_* directories, in-process components get the served database and the control socket.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEngine, type EngineContext } from '../../engine/main.js';
import { connectOvsdb } from '../../engine/rpc/client.js';
import { unixctlTransact } from '../../engine/util/unixctl.js';
import { readPidfile, removePidfile } from '../../engine/util/daemon.js';
import { vlog } from '../../engine/util/vlog.js';
import { needRealOvs } from '../lib/env.js';
import type { JsonObject } from '../../engine/ovsdb/api.js';

const dir = mkdtempSync(join(tmpdir(), 'h6main-'));
process.env.OVS_RUNDIR = join(dir, 'run');
process.env.OVS_DBDIR = join(dir, 'db');
process.env.OVS_LOGDIR = join(dir, 'log');

t.test('startEngine: defaults, conf.db bootstrap, component hook', async (t) => {
  let seen: EngineContext | undefined;
  let stopped = false;
  const ctx = await startEngine(['--no-chdir', '-vconsole:off'], [async (c) => {
    seen = c;
    c.unixctl.register('test/rows', '', 0, 0, () => String([...c.database.rows('Open_vSwitch')].length));
    await c.database.transact([{ op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['external_ids', 'insert', ['map', [['component', 'started']]]]] }]);
    return () => { stopped = true; };
  }]);
  vlog.setLevels(undefined, 'console', 'off');
  t.teardown(async () => {
    await ctx.runner.close();
    await ctx.unixctl.close();
    removePidfile();
    vlog.closeLogFile();
    rmSync(dir, { recursive: true, force: true });
  });
  t.equal(seen, ctx, 'component got the engine context');
  t.notOk(stopped);
  t.ok(existsSync(join(dir, 'db', 'conf.db')), 'conf.db created in OVS_DBDIR');
  t.ok(existsSync(join(dir, 'run', 'db.sock')), 'db.sock in OVS_RUNDIR');
  t.ok(existsSync(join(dir, 'run', 'ovs-engine.pid')), 'pidfile ovs-engine.pid (not opened here: that would drop its lock; real ovs-appctl reads it below)');
  t.equal(readPidfile(join(dir, 'run', 'ovs-engine.pid')), process.pid);
  t.ok(existsSync(join(dir, 'run', `ovs-engine.${process.pid}.ctl`)), 'control socket ovs-engine.<pid>.ctl');
  t.match(readFileSync(join(dir, 'log', 'ovs-engine.log'), 'utf8'), /\|ovs_engine\|INFO\|created .*conf\.db from .*vswitch\.ovsschema\n/);
  t.same(await unixctlTransact(ctx.unixctl.path!, 'test/rows'), { result: '1\n' }, 'one Open_vSwitch row, component command registered');
  const c = await connectOvsdb(`unix:${join(dir, 'run', 'db.sock')}`);
  const r = await c.transact('Open_vSwitch', [{ op: 'select', table: 'Open_vSwitch', where: [], columns: ['external_ids'] }]);
  await c.close();
  t.same(((r[0] as JsonObject).rows as JsonObject[])[0]!.external_ids, ['map', [['component', 'started']]], 'component wrote through the database');
  if (!needRealOvs()) {
    // Asynchronously: the server runs in this process, a blocking spawn would deadlock.
    const run = promisify(execFile);
    const v = await run('ovs-vsctl', [`--db=unix:${join(dir, 'run', 'db.sock')}`, '--no-wait', '--timeout=20', 'add-br', 'br0']);
    t.equal(v.stderr, '', 'real ovs-vsctl works against the engine');
    const a = await run('ovs-appctl', ['--timeout=20', '-t', 'ovs-engine', 'ovsdb-server/list-remotes'], { env: process.env });
    t.equal(a.stdout, `punix:${join(dir, 'run', 'db.sock')}\n`, 'real ovs-appctl -t ovs-engine finds the engine');
  }
});
