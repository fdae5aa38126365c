// ovs-service-host.exe (driver/windows/service-host, C# for .NET Framework 4.8): it builds on Linux
// with the .NET SDK, it is a PE32 .NET Framework 4.8 assembly, and, run under Mono in --console
// mode (the same code as the service minus the SCM), it starts node with the engine, passes every
// argument through Windows quoting intact, logs the engine's output, stops the engine gracefully
// (its "exit" control command: pidfiles and sockets removed, exit 0), kills an engine that cannot
// be asked, and passes an engine's own exit code on (what makes the SCM's recovery restart it).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool, readProjectVersion } from '../../engine/setup/package.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { buildServiceHost, readPeInfo, type ServiceHostBuild } from '../../engine/setup/service-host.js';
import { needCommand } from '../lib/env.js';

const dotnet = findTool('dotnet');
const work = mkdtempSync(join(tmpdir(), 'ovsps-h23-host-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

let built: ServiceHostBuild | undefined;
let buildError: unknown;
if (dotnet) {
  try { built = buildServiceHost({ root: projectRoot, version: readProjectVersion().version, dotnet, scratch: work }); } catch (e) { buildError = e; }
}
const needHost = (): string | false => (!dotnet ? 'the .NET SDK (dotnet) is not installed' : built ? false : 'the service host did not build (see the first test)');
// Mono runs .NET Framework executables on Linux; System.ServiceProcess comes in its own package.
const needMono = (): string | false => needHost() || needCommand('mono')
  || (!existsSync('/usr/lib/mono/4.5/System.ServiceProcess.dll') && 'Mono has no System.ServiceProcess (apt-get install libmono-system-serviceprocess4.0-cil)');

t.test('dotnet build of the service host', { skip: !dotnet && 'the .NET SDK (dotnet) is not installed', timeout: 300_000 }, async (t) => {
  t.equal(buildError, undefined, `buildServiceHost: ${(buildError as Error | undefined)?.message ?? 'ok'}`);
  if (!built) return;
  t.ok(existsSync(built.exe) && existsSync(built.config));
  t.match(readFileSync(built.config, 'utf8'), /<supportedRuntime version="v4\.0" sku="\.NETFramework,Version=v4\.8"/, 'the config asks for .NET Framework 4.8');
  const again = buildServiceHost({ root: projectRoot, version: readProjectVersion().version, dotnet: dotnet!, scratch: work });
  t.equal(again.cached, true, 'a second build of the same sources comes from the cache');
  t.notOk(existsSync(join(projectRoot, 'driver/windows/service-host/bin')) || existsSync(join(projectRoot, 'driver/windows/service-host/obj')), 'built out of tree: no bin/ or obj/ in the sources');
});

t.test('it is a PE32 .NET Framework 4.8 console executable, AnyCPU', { skip: needHost() }, async (t) => {
  const pe = readPeInfo(readFileSync(built!.exe));
  t.equal(pe.format, 'PE32');
  t.equal(pe.machine, 0x14c, 'machine i386, as AnyCPU assemblies are');
  t.equal(pe.subsystem, 3, 'console subsystem');
  t.equal(pe.dotnet, true, 'has a CLI header');
  t.equal(pe.runtimeVersion, 'v4.0.30319', 'CLR 4 metadata');
  t.equal(pe.targetFramework, '.NETFramework,Version=v4.8');
  t.throws(() => readPeInfo(Buffer.from('#!/bin/sh\n')), { code: 'OVS_E_SERVICE_HOST' }, 'anything else is refused');
  if (!needCommand('file')) t.match(spawnSync('file', [built!.exe], { encoding: 'utf8' }).stdout, /PE32 executable.*Mono\/\.Net assembly/);
});

interface HostRun { code: number | null; stdout: string; stderr: string; log: string }

/** Runs the host under mono in console mode; `stop` closes its stdin after `afterMs`. */
async function runHost(args: string[], opts: { stopAfterMs?: number; until?: () => boolean; timeoutMs?: number; log: string }): Promise<HostRun> {
  const p = spawn('mono', [built!.exe, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c)));
  const killer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  if (opts.stopAfterMs !== undefined) {
    const end = Date.now() + (opts.timeoutMs ?? 120_000) - 5000;
    await new Promise((r) => setTimeout(r, opts.stopAfterMs));
    while (opts.until && !opts.until() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    p.stdin.end();
  }
  const code = await exited;
  clearTimeout(killer);
  return { code, stdout, stderr, log: existsSync(opts.log) ? readFileSync(opts.log, 'utf8') : '' };
}

t.test('under Mono: options, argument passing, exit codes, graceful stop of the real engine', { skip: needMono(), timeout: 360_000 }, async (t) => {
  const help = spawnSync('mono', [built!.exe, '--help'], { encoding: 'utf8' });
  t.equal(help.status, 0);
  t.match(help.stdout, /usage: ovs-service-host \[--name=SERVICE\]/);
  const bad = spawnSync('mono', [built!.exe, '--stop-timeout=0', '--', 'x.js'], { encoding: 'utf8' });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--stop-timeout=0: expected a number of seconds from 1 to 3600/);
  const none = spawnSync('mono', [built!.exe, '--console'], { encoding: 'utf8' });
  t.equal(none.status, 2);
  t.match(none.stderr, /no engine script given/);
  const noNode = spawnSync('mono', [built!.exe, '--console', `--node=${join(work, 'no-such-node')}`, `--log=${join(work, 'nonode.log')}`, '--', 'x.js'], { encoding: 'utf8' });
  t.equal(noNode.status, 1);
  t.match(readFileSync(join(work, 'nonode.log'), 'utf8'), /cannot start the engine: node executable '.*no-such-node' \(from --node\) does not exist/);

  // Arguments with spaces, quotes and trailing backslashes reach node unchanged; the engine's own
  // exit code comes back (the service reports it so the SCM applies its recovery actions).
  const echo = join(work, 'echo.js');
  writeFileSync(echo, "console.log('ARGS ' + JSON.stringify(process.argv.slice(2))); console.error('to stderr'); process.exit(7);\n");
  const tricky = ['plain', 'two words', 'C:\\dir with space\\', 'say "hi"', 'back\\\\"slash', '', '--rundir=/x y/'];
  const log1 = join(work, 'echo.log');
  const r1 = await runHost(['--console', `--node=${process.execPath}`, `--log=${log1}`, '--', echo, ...tricky], { log: log1 });
  t.equal(r1.code, 7, 'the engine\'s exit code');
  const argsLine = /engine_output\|INFO\|ARGS (.*)$/m.exec(r1.log);
  t.ok(argsLine, 'the engine\'s stdout is in the host log');
  if (argsLine) t.same(JSON.parse(argsLine[1]!), tricky, 'every argument arrives intact');
  t.match(r1.log, /engine_output\|INFO\|to stderr/, 'and its stderr');
  t.match(r1.log, /ovs_service_host\|INFO\|engine \(pid \d+\) exited with code 7 unexpectedly/);

  // The real engine: started, then stopped over its control socket.
  const dir = join(work, 'engine');
  const log2 = join(work, 'engine-host.log');
  const pidfile = join(dir, 'ovs-engine.pid');
  const r2 = await runHost(['--console', `--node=${process.execPath}`, `--log=${log2}`, '--stop-timeout=60', '--',
    join(projectRoot, '.build/engine/ovs-engine.js'), `--dbdir=${dir}`, `--rundir=${dir}`, `--logdir=${dir}`, '--no-switch'],
  { log: log2, stopAfterMs: 200, until: () => existsSync(join(dir, 'db.sock')) && existsSync(pidfile), timeoutMs: 200_000 });
  t.equal(r2.code, 0, `graceful stop exits 0 (host log:\n${r2.log})`);
  t.match(r2.log, /standard input closed: stopping the engine/);
  t.match(r2.log, /asked the engine to exit \(control command "exit"\)/);
  t.match(r2.log, /exited with code 0 after a stop request/);
  t.notMatch(r2.log, /killing pid/, 'not killed');
  t.notOk(existsSync(pidfile), 'the engine removed its pidfile');
  t.notOk(readdirSync(dir).some((f) => f.endsWith('.ctl') || f === 'db.sock'), 'and its sockets');
  t.ok(existsSync(join(dir, 'conf.db')), 'the database stays');

  // An engine that cannot be asked (no control socket) is killed.
  const deaf = join(work, 'deaf.js');
  writeFileSync(deaf, "console.log('up'); setInterval(() => {}, 1000);\n");
  const log3 = join(work, 'deaf.log');
  const r3 = await runHost(['--console', `--node=${process.execPath}`, `--log=${log3}`, '--stop-timeout=2', '--', deaf, `--rundir=${join(work, 'deafrun')}`],
    { log: log3, stopAfterMs: 300, until: () => existsSync(log3) && /engine_output\|INFO\|up/.test(readFileSync(log3, 'utf8')) });
  t.match(r3.log, /could not ask the engine to exit over its control socket: .*deafrun\/ovs-engine\.\d+\.ctl/);
  t.match(r3.log, /killing pid \d+/);
  t.not(r3.code, 0, 'a killed engine is not a clean exit');
});
