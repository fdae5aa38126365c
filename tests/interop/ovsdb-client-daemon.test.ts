// ovsdb-client as a daemon (--detach --pidfile monitor ... > FILE, then ovs-appctl commands to its
// control socket) and with a passive SERVER (punix:, the server connects to it): ours and real
// OVS 3.1's, side by side against one private real ovsdb-server, print the same.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { needRealOvs } from '../lib/env.js';
import { sleep, waitFor } from '../lib/wait.js';

const OURS = join(projectRoot, 'engine', 'bin', 'ovsdb-client');
const SCHEMA = join(projectRoot, 'manifests', 'vswitch.ovsschema');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

interface Side { name: 'real' | 'ours'; cmd: string[]; rundir: string }

t.test('ovsdb-client --detach monitor, block/unblock/cond_change/exit', { skip: needRealOvs() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-cldaemon-'));
  spawnSync('ovsdb-tool', ['create', join(dir, 'conf.db'), SCHEMA]);
  const sock = join(dir, 'db.sock');
  const st = spawnSync('/usr/sbin/ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${dir}/server.pid`, `--log-file=${dir}/server.log`,
    `--remote=punix:${sock}`, `--unixctl=${dir}/server.ctl`, join(dir, 'conf.db')], { encoding: 'utf8' });
  t.equal(st.status, 0, st.stderr);
  const sides: Side[] = [
    { name: 'real', cmd: ['ovsdb-client'], rundir: join(dir, 'real') },
    { name: 'ours', cmd: [process.execPath, OURS], rundir: join(dir, 'ours') },
  ];
  t.teardown(() => {
    for (const p of [join(dir, 'server.pid'), ...sides.map((s) => join(s.rundir, 'ovsdb-client.pid'))]) {
      try { process.kill(Number(readFileSync(p, 'utf8')), 'SIGKILL'); } catch { /* gone */ }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const vsctl = (...a: string[]) => spawnSync('ovs-vsctl', [`--db=unix:${sock}`, '--no-wait', ...a], { encoding: 'utf8' });
  vsctl('init', '--', 'add-br', 'br0');
  const appctl = (s: Side, ...a: string[]) => {
    const pid = readFileSync(join(s.rundir, 'ovsdb-client.pid'), 'utf8').trim();
    return spawnSync('ovs-appctl', ['-t', join(s.rundir, `ovsdb-client.${pid}.ctl`), ...a], { encoding: 'utf8' });
  };
  for (const s of sides) {
    mkdirSync(s.rundir);
    // (Files, not pipes: the daemon keeps its stdout and stderr open, as OVS's does.)
    const out = openSync(join(s.rundir, 'out'), 'w');
    const err = openSync(join(s.rundir, 'err'), 'w');
    const r = spawnSync(s.cmd[0]!, [...s.cmd.slice(1), '--detach', '--no-chdir', '--pidfile', 'monitor-cond', `unix:${sock}`, 'Open_vSwitch',
      '[["name","==","br0"]]', 'Bridge', 'name,external_ids'], { stdio: ['ignore', out, err], env: { ...process.env, OVS_RUNDIR: s.rundir }, timeout: 10_000 });
    closeSync(out);
    closeSync(err);
    t.equal(r.status, 0, `${s.name} --detach monitor-cond starts: ${readFileSync(join(s.rundir, 'err'), 'utf8')}`);
  }
  const outputs = () => sides.map((s) => readFileSync(join(s.rundir, 'out'), 'utf8').replace(UUID, '<uuid>'));
  await waitFor(() => outputs().every((o) => o.includes('initial')), 'initial rows', 5000);

  vsctl('br-set-external-id', 'br0', 'a', '1');
  await waitFor(() => outputs().every((o) => o.includes('modify')), 'modify rows', 5000);
  // Blocked, the client prints nothing until unblocked; then what came meanwhile.
  for (const s of sides) t.equal(appctl(s, 'ovsdb-client/block').stdout, '', `${s.name}: block`);
  for (const s of sides) t.equal(appctl(s, 'ovsdb-client/block').stdout, 'already blocking\n', `${s.name}: block twice`);
  const before = outputs();
  vsctl('br-set-external-id', 'br0', 'b', '2');
  await sleep(500);
  t.same(outputs(), before, 'nothing printed while blocked');
  for (const s of sides) t.equal(appctl(s, 'ovsdb-client/unblock').stdout, '', `${s.name}: unblock`);
  await waitFor(() => outputs().every((o) => o.includes('b="2"')), 'held update printed after unblock', 5000);
  // A new condition: br1 now matches, br0 no longer.
  vsctl('add-br', 'br1');
  for (const s of sides) t.equal(appctl(s, 'ovsdb-client/cond_change', 'Bridge', '[["name","==","br1"]]').stdout, 'condition changed\n', `${s.name}: cond_change`);
  await waitFor(() => outputs().every((o) => /br1/.test(o)), 'rows of the new condition', 5000);
  for (const s of sides) t.equal(appctl(s, 'exit').status, 0, `${s.name}: exit`);
  for (const s of sides) {
    await waitFor(() => { try { readFileSync(join(s.rundir, 'ovsdb-client.pid')); return false; } catch { return true; } }, `${s.name} pidfile removed at exit`, 5000);
  }
  const [real, ours] = outputs();
  t.equal(ours, real, 'the same output file');
});

t.test('ovsdb-client with a passive SERVER: the server connects to it', { skip: needRealOvs() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-clpassive-'));
  const servers: string[] = [];
  t.teardown(() => {
    for (const p of servers) try { process.kill(Number(readFileSync(p, 'utf8')), 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  });
  const results: Record<string, { stdout: string; stderr: string; code: number | null }> = {};
  for (const [name, cmd] of [['real', ['ovsdb-client']], ['ours', [process.execPath, OURS]]] as const) {
    const listen = join(dir, `${name}.sock`);
    const p = spawn(cmd[0]!, [...cmd.slice(1), 'list-dbs', `punix:${listen}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    const done = new Promise<number | null>((r) => p.on('close', r));
    t.teardown(() => { p.kill('SIGKILL'); });
    // (Not by connecting to it: the first connection is the one the client takes.)
    await waitFor(() => existsSync(listen), `${name} listening on ${listen}`, 5000);
    // An ovsdb-server with an active remote: it connects to the listening client.
    const db = join(dir, `${name}.db`);
    spawnSync('ovsdb-tool', ['create', db, SCHEMA]);
    servers.push(join(dir, `${name}.pid`));
    const st = spawnSync('/usr/sbin/ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${dir}/${name}.pid`, `--log-file=${dir}/${name}.log`,
      `--unixctl=${dir}/${name}.ctl`, `--remote=unix:${listen}`, db], { encoding: 'utf8' });
    t.equal(st.status, 0, st.stderr);
    const code = await Promise.race([done, sleep(5000).then(() => 'timeout' as const)]);
    t.not(code, 'timeout', `${name}: finished`);
    results[name] = { stdout, stderr: stderr.replace(/^\S+\|\d+\|/gm, 'T|').replace(/\S+\.sock/g, 'SOCK'), code: code === 'timeout' ? null : code };
  }
  t.same(results.ours, results.real, 'same output, log line and status');
  t.equal(results.ours!.stdout, 'Open_vSwitch\n_Server\n');
});
