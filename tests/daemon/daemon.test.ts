// Pidfile, --detach and signal cleanup. This file doubles as a tiny daemon: run with
// H6_DAEMON_FIXTURE=1 it parses daemon/vlog/--unixctl options like our daemons do and serves
// `exit` on its control socket (so the test needs no daemon from another area).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

async function fixture(argv: string[]): Promise<void> {
  const { defaultDaemonOptions, parseDaemonOption, daemonizeStart, daemonizeComplete, exitCleanly, ovsFatal } = await import('../../engine/util/daemon.js');
  const { UnixctlServer } = await import('../../engine/util/unixctl.js');
  const { parseVlogOption, vlog } = await import('../../engine/util/vlog.js');
  const program = 'h6-fixture';
  vlog.programName = program;
  const opts = defaultDaemonOptions();
  const vlogOpts = [];
  let unixctl: string | undefined;
  let failEarly = false;
  for (const a of argv) {
    if (parseDaemonOption(a, opts)) continue;
    const v = parseVlogOption(a, () => undefined);
    if (v) { vlogOpts.push(v); continue; }
    if (a.startsWith('--unixctl=')) { unixctl = a.slice(10); continue; }
    if (a === '--fail-before-ready') { failEarly = true; continue; }
    ovsFatal(program, `unrecognized option '${a}'`);
  }
  try {
    await daemonizeStart(opts, program);
  } catch (e) {
    ovsFatal(program, (e as Error).message);
  }
  vlog.applyOptions(vlogOpts);
  if (failEarly) ovsFatal(program, 'failing on purpose before startup completes');
  let server: Awaited<ReturnType<typeof UnixctlServer.create>>;
  try {
    server = await UnixctlServer.create({ path: unixctl, programName: program, version: `${program} (Open vSwitch) 3.1.0` });
  } catch (e) {
    return ovsFatal(program, (e as Error).message);
  }
  server.register('exit', '', 0, 0, () => { setImmediate(() => void exitCleanly(0)); return undefined; });
  daemonizeComplete();
  vlog.module('daemon').info(`${program} started, pid ${process.pid}`);
  setInterval(() => { /* serve */ }, 1 << 30);
}

if (process.env.H6_DAEMON_FIXTURE === '1') {
  await fixture(process.argv.slice(2));
} else {
  await tests();
}

async function tests(): Promise<void> {
  const t = (await import('tap')).default;
  const { needRealOvs } = await import('../lib/env.js');
  const { makePidfile, readPidfile, removePidfile, DaemonError } = await import('../../engine/util/daemon.js');
  const { vlog } = await import('../../engine/util/vlog.js');
  vlog.setLevels(undefined, 'console', 'off');
  const self = fileURLToPath(import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), 'h6dmn-'));
  const started: number[] = [];
  t.teardown(() => {
    for (const pid of started) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    rmSync(dir, { recursive: true, force: true });
  });
  const env = { ...process.env, H6_DAEMON_FIXTURE: '1', OVS_RUNDIR: dir, OVS_LOGDIR: dir };
  const run = (args: string[]) => spawnSync(process.execPath, [self, ...args], { encoding: 'utf8', env, timeout: 20000 });
  const waitFor = async (cond: () => boolean, what: string) => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
    if (!cond()) throw new Error(`timed out waiting for ${what}`);
  };
  const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

  t.test('pidfile in-process: written, stale replaced, live refused', async (t) => {
    const pf = join(dir, 'inproc.pid');
    writeFileSync(pf, '999999\n');
    makePidfile(pf, false);
    t.equal(readFileSync(pf, 'utf8'), `${process.pid}\n`, 'stale pidfile replaced by ours');
    t.equal(readPidfile(pf), process.pid);
    removePidfile();
    t.notOk(existsSync(pf));
    t.throws(() => readPidfile(pf), { errno: 'ENOENT' } as unknown as Error);
    writeFileSync(pf, 'garbage');
    t.throws(() => readPidfile(pf), DaemonError);
  });

  t.test('--detach: parent exits 0 once the child is ready; pidfile and socket; exit cleans up', async (t) => {
    const r = run(['--detach', '--no-chdir', '--pidfile', '--unixctl=fx.ctl', '--log-file']);
    t.equal(r.status, 0, `parent exit status (stderr: ${r.stderr})`);
    const pf = join(dir, 'h6-fixture.pid');
    t.ok(existsSync(pf), 'default pidfile <rundir>/<program>.pid');
    const pid = Number(readFileSync(pf, 'utf8'));
    started.push(pid);
    t.ok(alive(pid), 'daemon runs after the parent left');
    t.ok(existsSync(join(dir, 'fx.ctl')), 'relative --unixctl is in the rundir');
    const log = readFileSync(join(dir, 'h6-fixture.log'), 'utf8');
    t.match(log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\|00001\|vlog\|INFO\|opened log file /, 'log file opened once, first line as OVS');
    t.equal(log.split('opened log file').length, 2, 'exactly one "opened log file" line');
    const again = run(['--pidfile', '--unixctl=fx2.ctl']);
    t.equal(again.status, 1, 'second instance refused');
    t.equal(again.stderr, `h6-fixture: ${pf}: already running as pid ${pid}, aborting\n`);
    const { unixctlTransact } = await import('../../engine/util/unixctl.js');
    t.same(await unixctlTransact(join(dir, 'fx.ctl'), 'version'), { result: 'h6-fixture (Open vSwitch) 3.1.0\n' });
    await unixctlTransact(join(dir, 'fx.ctl'), 'exit');
    await waitFor(() => !alive(pid), 'daemon exit');
    t.notOk(existsSync(pf), 'pidfile removed on exit');
    t.notOk(existsSync(join(dir, 'fx.ctl')), 'control socket removed on exit');
  });

  t.test('--detach: a child that fails before ready makes the parent fail with its status and message', async (t) => {
    const r = run(['--detach', '--pidfile=fail.pid', '--fail-before-ready']);
    t.equal(r.status, 1);
    t.match(r.stderr, 'h6-fixture: failing on purpose before startup completes');
    t.notOk(existsSync(join(dir, 'fail.pid')), 'no pidfile left behind');
  });

  t.test('SIGTERM and SIGINT: files removed, process dies by the signal', async (t) => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const child = spawn(process.execPath, [self, `--pidfile=${sig}.pid`, `--unixctl=${sig}.ctl`], { env, stdio: 'ignore' });
      started.push(child.pid!);
      const pf = join(dir, `${sig}.pid`);
      await waitFor(() => existsSync(join(dir, `${sig}.ctl`)), 'control socket');
      t.equal(Number(readFileSync(pf, 'utf8')), child.pid);
      const exited = new Promise<[number | null, string | null]>((r) => child.on('exit', (c, s) => r([c, s])));
      child.kill(sig);
      const [code, signal] = await exited;
      t.same([code, signal], [null, sig], `terminated by ${sig}`);
      t.notOk(existsSync(pf), 'pidfile removed');
      t.notOk(existsSync(join(dir, `${sig}.ctl`)), 'socket removed');
    }
  });

  t.test('files in a missing directory: refused as OVS does, except the run directory, which is made', async (t) => {
    const missing = join(dir, 'no-such-dir');
    const p = run([`--pidfile=${missing}/x.pid`, '--unixctl=m.ctl']);
    t.same([p.status, p.stderr], [1, `h6-fixture: ${missing}/x.pid.tmp: create failed (No such file or directory)\n`]);
    t.notOk(existsSync(missing), 'the directory of a named pidfile is not made');
    const u = run([`--unixctl=${missing}/x.ctl`]);
    t.same([u.status, u.stderr], [1, `h6-fixture: ${missing}/x.ctl: could not initialize control socket (No such file or directory)\n`],
      'a control socket in a missing directory: the reason is ENOENT, not libuv\'s EACCES');
    const rundir = join(dir, 'fresh-run');
    const r = spawnSync(process.execPath, [self, '--detach', '--no-chdir', '--pidfile'], { encoding: 'utf8', env: { ...env, OVS_RUNDIR: rundir }, timeout: 20000 });
    t.equal(r.status, 0, `a missing run directory is made (stderr: ${r.stderr})`);
    const pid = Number(readFileSync(join(rundir, 'h6-fixture.pid'), 'utf8'));
    started.push(pid);
    const { unixctlTransact } = await import('../../engine/util/unixctl.js');
    await unixctlTransact(join(rundir, `h6-fixture.${pid}.ctl`), 'exit');
    await waitFor(() => !alive(pid), 'daemon exit');
  });

  t.test('a fatal signal is logged as OVS logs it', async (t) => {
    const child = spawn(process.execPath, [self, '--pidfile=sig.pid', '--unixctl=sig.ctl', `--log-file=${join(dir, 'sig.log')}`], { env, stdio: 'ignore' });
    started.push(child.pid!);
    await waitFor(() => existsSync(join(dir, 'sig.ctl')), 'control socket');
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGTERM');
    await exited;
    t.match(readFileSync(join(dir, 'sig.log'), 'utf8'), /\|fatal_signal\|WARN\|terminating with signal 15 \(Terminated\)\n$/);
  });

  t.test('--overwrite-pidfile replaces a live pidfile', async (t) => {
    const pf = join(dir, 'ow.pid');
    writeFileSync(pf, `${process.pid}\n`);
    const child = spawn(process.execPath, [self, '--pidfile=ow.pid', '--overwrite-pidfile', '--unixctl=ow.ctl'], { env, stdio: 'ignore' });
    started.push(child.pid!);
    await waitFor(() => existsSync(join(dir, 'ow.ctl')), 'control socket');
    t.equal(Number(readFileSync(pf, 'utf8')), child.pid);
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
  });

  t.test('real ovs-appctl finds our daemon by name through the locked pidfile', { skip: needRealOvs() }, async (t) => {
    const r = run(['--detach', '--no-chdir', '--pidfile']);
    t.equal(r.status, 0, r.stderr);
    const pid = Number(readFileSync(join(dir, 'h6-fixture.pid'), 'utf8'));
    started.push(pid);
    t.ok(existsSync(join(dir, `h6-fixture.${pid}.ctl`)), 'default socket <rundir>/<program>.<pid>.ctl');
    const v = spawnSync('ovs-appctl', ['-t', 'h6-fixture', 'version'], { encoding: 'utf8', env: { ...process.env, OVS_RUNDIR: dir } });
    t.equal(v.stdout, 'h6-fixture (Open vSwitch) 3.1.0\n', v.stderr);
    const e = spawnSync('ovs-appctl', ['-t', 'h6-fixture', 'exit'], { encoding: 'utf8', env: { ...process.env, OVS_RUNDIR: dir } });
    t.equal(e.status, 0);
    await waitFor(() => !alive(pid), 'daemon exit');
  });
}
