import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnixctlClient, UnixctlClientError, UnixctlCommandError, UnixctlServer, unixctlTransact } from '../../engine/util/unixctl.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { needRealOvs } from '../lib/env.js';
import { vlog } from '../../engine/util/vlog.js';

vlog.setLevels(undefined, 'console', 'off');

const dir = mkdtempSync(join(tmpdir(), 'h6ctl-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function makeServer(name: string): Promise<UnixctlServer> {
  const s = await UnixctlServer.create({ path: join(dir, name), programName: 'test-daemon', version: 'test-daemon (Open vSwitch) 3.1.0' });
  s.register('echo-args', 'ARG...', 0, 3, (args) => args.join(' '));
  s.register('fail', '', 0, 0, () => { throw new UnixctlCommandError('it failed'); });
  s.register('slow', '', 0, 0, async () => { await new Promise((r) => setTimeout(r, 50)); return 'slow done\n'; });
  s.register('hidden', undefined, 0, 0, () => 'secret');
  return s;
}

/** Sends raw bytes, collects what comes back until the server closes or `ms` pass. */
function raw(path: string, bytes: string | Buffer, ms = 300): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = createConnection(path);
    let data = '';
    let closed = false;
    sock.on('data', (d) => { data += d.toString(); });
    sock.on('close', () => { closed = true; resolve({ data, closed }); });
    sock.on('error', () => { /* reset */ });
    sock.on('connect', () => sock.write(bytes));
    setTimeout(() => { sock.destroy(); resolve({ data, closed }); }, ms);
  });
}

t.test('replies, errors and arity checks with OVS wording', async (t) => {
  const s = await makeServer('a.ctl');
  t.teardown(() => s.close());
  const path = s.path!;
  t.equal((statSync(path).mode & 0o777), 0o750, 'socket mode 0750 as OVS');
  t.same(await unixctlTransact(path, 'version'), { result: 'test-daemon (Open vSwitch) 3.1.0\n' });
  t.same(await unixctlTransact(path, 'echo-args', ['a', 'b']), { result: 'a b\n' });
  t.same(await unixctlTransact(path, 'echo-args', []), { result: '' }, 'empty body stays empty');
  t.same(await unixctlTransact(path, 'nosuch'), { error: '"nosuch" is not a valid command (use "list-commands" to see a list of valid commands)\n' });
  t.same(await unixctlTransact(path, 'version', ['x']), { error: '"version" command takes at most 0 arguments\n' });
  t.same(await unixctlTransact(path, 'fail'), { error: 'it failed\n' });
  const list = (await unixctlTransact(path, 'list-commands')).result!;
  t.equal(list, 'The available commands are:\n'
    + '  echo-args               ARG...\n'
    + '  fail                    \n'
    + '  list-commands           \n'
    + '  slow                    \n'
    + '  version                 \n');
});

t.test('wire format: exact reply bytes, pipelining, bad input closes the connection', async (t) => {
  const s = await makeServer('b.ctl');
  t.teardown(() => s.close());
  const path = s.path!;
  const r1 = await raw(path, '{"method":"version","params":[],"id":0}');
  t.equal(r1.data, '{"id":0,"result":"test-daemon (Open vSwitch) 3.1.0\\n","error":null}');
  const r2 = await raw(path, '{"method":"nosuch","params":[],"id":"x"}');
  t.equal(r2.data, '{"id":"x","error":"\\"nosuch\\" is not a valid command (use \\"list-commands\\" to see a list of valid commands)\\n"}');
  const r3 = await raw(path, '{"method":"slow","params":[],"id":1}{"method":"echo-args","params":["z"],"id":2}');
  t.equal(r3.data, '{"id":1,"result":"slow done\\n","error":null}{"id":2,"result":"z\\n","error":null}', 'one at a time, in order');
  const r4 = await raw(path, '{"method":"echo-args","params":[1],"id":3}');
  t.equal(r4.data, '{"id":3,"error":"\\"echo-args\\" command has non-string argument\\n"}');
  const r5 = await raw(path, 'garbage', 1000);
  t.same(r5, { data: '', closed: true }, 'garbage: closed without a reply');
  const r6 = await raw(path, '{"method":"version","params":[],"id":null}', 1000);
  t.same(r6, { data: '', closed: true }, 'notification: closed without a reply');
  const r7 = await raw(path, Buffer.alloc(1024 * 1024, 0x5b), 1000);
  t.equal(r7.data, '', '1 MB of nesting gets no reply');
  t.same(await unixctlTransact(path, 'version'), { result: 'test-daemon (Open vSwitch) 3.1.0\n' }, 'server still fine');
});

t.test('client reports connection failures with errno', async (t) => {
  await UnixctlClient.connect(join(dir, 'none.ctl')).then(
    () => t.fail('connected to nothing'),
    (e: UnixctlClientError) => t.equal(e.errno, 'ENOENT'));
  const s = await makeServer('c.ctl');
  const c = await UnixctlClient.connect(s.path!);
  const pending = c.transact('slow', []);
  await s.close();
  await t.rejects(pending, { code: 'OVS_E_UNIXCTL_CLIENT' }, 'server going away fails the pending request');
  c.close();
  t.notOk(existsSync(join(dir, 'c.ctl')), 'socket file removed on close');
});

t.test('real ovs-appctl talks to our control socket', { skip: needRealOvs() }, async (t) => {
  const s = await makeServer('d.ctl');
  t.teardown(() => s.close());
  const run = (...args: string[]) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    // spawnSync would block our event loop (the server lives in this process): run it async.
    import('node:child_process').then(({ execFile }) => {
      execFile('ovs-appctl', ['-t', s.path!, ...args], (err, stdout, stderr) => {
        resolve({ status: err ? (err as NodeJS.ErrnoException & { code: number }).code : 0, stdout, stderr });
      });
    });
  });
  t.same(await run('version'), { status: 0, stdout: 'test-daemon (Open vSwitch) 3.1.0\n', stderr: '' });
  t.same(await run('echo-args', 'p', 'q'), { status: 0, stdout: 'p q\n', stderr: '' });
  const bad = await run('fail');
  t.equal(bad.status, 2);
  t.equal(bad.stderr, `it failed\novs-appctl: ${s.path}: server returned an error\n`);
  const many = await run('echo-args', '1', '2', '3', '4');
  t.equal(many.stderr.split('\n')[0], '"echo-args" command takes at most 3 arguments');
});

t.test('our ovs-appctl matches real ovs-appctl against a real ovsdb-server', { skip: needRealOvs() }, async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'h6real-'));
  const ctl = join(d, 's.ctl');
  const start = spawnSync('/usr/sbin/ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${d}/s.pid`, `--log-file=${d}/s.log`,
    `--remote=punix:${d}/db.sock`, `--unixctl=${ctl}`, '--no-dbs'], { encoding: 'utf8' });
  t.equal(start.status, 0, start.stderr);
  t.teardown(() => {
    spawnSync('ovs-appctl', ['-t', ctl, 'exit']);
    rmSync(d, { recursive: true, force: true });
  });
  const ours = join(projectRoot, 'engine', 'bin', 'ovs-appctl');
  const cases: string[][] = [
    ['-t', ctl, 'version'], ['-t', ctl, 'list-commands'], ['-t', ctl, 'vlog/list'], ['-t', ctl, 'vlog/list-pattern'],
    ['-t', ctl, 'nosuch'], ['-t', ctl, 'version', 'x'], ['-t', ctl, 'vlog/set', 'bogus'], ['-t', ctl, 'vlog/set', 'file:info:warn'],
    ['-t', ctl, 'ovsdb-server/list-remotes'], ['-t', join(d, 'missing.ctl'), 'version'], ['--timeout=abc', 'version'], [],
  ];
  for (const args of cases) {
    const real = spawnSync('ovs-appctl', args, { encoding: 'utf8', env: { ...process.env, OVS_RUNDIR: d } });
    const mine = spawnSync(process.execPath, [ours, ...args], { encoding: 'utf8', env: { ...process.env, OVS_RUNDIR: d } });
    const norm = (s: string) => s.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\|/gm, 'TIME|');
    t.equal(mine.status, real.status, `exit status of ovs-appctl ${args.join(' ')}`);
    t.equal(mine.stdout, real.stdout, `stdout of ovs-appctl ${args.join(' ')}`);
    t.equal(norm(mine.stderr), norm(real.stderr), `stderr of ovs-appctl ${args.join(' ')}`);
  }
  const byName = spawnSync(process.execPath, [ours, '-t', 'nosuchdaemon', 'version'], { encoding: 'utf8', env: { ...process.env, OVS_RUNDIR: d } });
  t.equal(byName.status, 1);
  t.match(byName.stderr, `ovs-appctl: cannot read pidfile "${d}/nosuchdaemon.pid" (No such file or directory)`);
});
