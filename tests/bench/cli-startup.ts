// Benchmark: start-up of our OVS command-line tools as processes, next to bare Node and real
// ovs-vsctl, in one interleaved run (each round runs every variant once, so a loaded machine slows
// all of them alike). Variants: `node -e 0`, an empty CommonJS file, and our ovs-vsctl through the
// launcher (engine/bin/ovs-vsctl) and through each build it can load (CommonJS bundle, ES module
// bundle, tsc output), for `--version` (start-up only) and `--no-wait add-br` against a real
// ovsdb-server in a private temp dir (start-up + one connection, schema, read and write).
// Prints the median and minimum wall time per process and, when `perf` is installed, the median
// CPU time (task-clock) per process, plus each median over `node -e 0`'s.
// Usage: node .build/tests/bench/cli-startup.js [--rounds=N] [--bridges=N] (bridges created first)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../../engine/setup/paths.js';
import { needCommand, needRealOvs } from '../lib/env.js';
import { median } from '../lib/bench.js';

const arg = (name: string, dflt: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  const n = a ? Number(a.slice(name.length + 3)) : dflt;
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} needs a non-negative integer, got '${a}'`);
  return n;
};
const ROUNDS = arg('rounds', 20);
const BRIDGES = arg('bridges', 50);

const LAUNCHER = join(projectRoot, 'engine', 'bin', 'ovs-vsctl');
const BUILDS = {
  cjs: join(projectRoot, '.build', 'bundle', 'cjs', 'engine', 'cli', 'ovs-vsctl.cjs'),
  esm: join(projectRoot, '.build', 'bundle', 'engine', 'cli', 'ovs-vsctl.js'),
  tsc: join(projectRoot, '.build', 'engine', 'cli', 'ovs-vsctl.js'),
};

interface Variant { label: string; cmd: string[]; args: 'none' | 'version' | 'add-br' }
interface Sample { wall: number; cpu?: number }

const usePerf = !needCommand('perf') && spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', 'true']).status === 0;

function runOnce(v: Variant, extra: string[], dir: string): Sample {
  const cmd = [...v.cmd, ...extra];
  const out = join(dir, 'perf.out');
  const argv = usePerf ? ['perf', 'stat', '-x,', '-e', 'task-clock', '-o', out, ...cmd] : cmd;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
  if (!usePerf) return { wall };
  const line = readFileSync(out, 'utf8').split('\n').find((l) => l.includes('task-clock'));
  const cpu = line ? Number(line.split(',')[0]) : NaN;
  return { wall, cpu: Number.isFinite(cpu) ? cpu : undefined };
}


function main(): void {
  const why = needRealOvs();
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h18-bench-'));
  let pid = 0;
  const cleanup = (): void => {
    if (pid) try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { cleanup(); process.exit(1); });
  try {
    const entries: Variant[] = [];
    writeFileSync(join(dir, 'empty.cjs'), '');
    const loaders: Record<keyof typeof BUILDS, string> = {
      cjs: `require(${JSON.stringify(BUILDS.cjs)}).main(process.argv.slice(2));\n`,
      esm: `import(${JSON.stringify(pathToFileURL(BUILDS.esm).href)}).then((m) => m.main(process.argv.slice(2)));\n`,
      tsc: `import(${JSON.stringify(pathToFileURL(BUILDS.tsc).href)}).then((m) => m.main(process.argv.slice(2)));\n`,
    };
    const node = process.execPath;
    const tools: Variant[] = [{ label: 'launcher engine/bin/ovs-vsctl', cmd: [node, LAUNCHER], args: 'none' }];
    for (const k of Object.keys(BUILDS) as (keyof typeof BUILDS)[]) {
      if (!existsSync(BUILDS[k])) { console.log(`(${k} build ${BUILDS[k]} missing: not measured)`); continue; }
      writeFileSync(join(dir, `load-${k}.cjs`), loaders[k]);
      tools.push({ label: `${k} build only`, cmd: [node, join(dir, `load-${k}.cjs`)], args: 'none' });
    }
    entries.push({ label: 'node -e 0', cmd: [node, '-e', '0'], args: 'none' });
    entries.push({ label: 'node empty.cjs', cmd: [node, join(dir, 'empty.cjs')], args: 'none' });
    for (const v of tools) entries.push({ ...v, label: `${v.label} --version`, args: 'version' });
    let sock = '';
    if (why) console.log(`(add-br not measured: ${why})`);
    else {
      const db = join(dir, 'conf.db');
      sock = join(dir, 'db.sock');
      const c = spawnSync('ovsdb-tool', ['create', db, join(projectRoot, 'manifests', 'vswitch.ovsschema')], { encoding: 'utf8' });
      if (c.status !== 0) throw new Error(`ovsdb-tool create: ${c.stderr}`);
      const s = spawnSync('/usr/sbin/ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${dir}/pid`, `--log-file=${dir}/log`,
        `--remote=punix:${sock}`, `--unixctl=${dir}/ctl`, db], { encoding: 'utf8' });
      if (s.status !== 0) throw new Error(`ovsdb-server: ${s.stderr}`);
      pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      const pre = ['--no-wait', 'init'];
      for (let i = 0; i < BRIDGES; i++) pre.push('--', 'add-br', `pre${i}`);
      const v = spawnSync('ovs-vsctl', [`--db=unix:${sock}`, ...pre], { encoding: 'utf8' });
      if (v.status !== 0) throw new Error(`ovs-vsctl init: ${v.stderr}`);
      entries.push({ label: 'real ovs-vsctl add-br', cmd: ['ovs-vsctl'], args: 'add-br' });
      for (const t of tools) entries.push({ ...t, label: `${t.label} add-br`, args: 'add-br' });
    }
    console.log(`${ROUNDS} rounds, every variant once per round${sock ? `; add-br into a database of ${BRIDGES} bridges (+${ROUNDS} per add-br variant)` : ''}` +
      `; CPU from ${usePerf ? 'perf stat task-clock' : '(perf not installed: wall time only)'}`);
    const samples = entries.map((): Sample[] => []);
    let n = 0;
    for (let r = 0; r < ROUNDS; r++) {
      entries.forEach((e, i) => {
        const extra = e.args === 'add-br' ? [`--db=unix:${sock}`, '--no-wait', 'add-br', `b${n++}`] : e.args === 'version' ? ['--version'] : [];
        samples[i]!.push(runOnce(e, extra, dir));
      });
    }
    const base = samples[0]!;
    const baseWall = median(base.map((s) => s.wall));
    const cpus = (xs: Sample[]): number[] => xs.map((s) => s.cpu).filter((c): c is number => c !== undefined);
    const baseCpu = usePerf ? median(cpus(base)) : NaN;
    console.log(`${'variant'.padEnd(44)} ${'wall p50'.padStart(9)} ${'min'.padStart(7)} ${'x node'.padStart(7)}${usePerf ? ` ${'cpu p50'.padStart(8)} ${'x node'.padStart(7)}` : ''}`);
    entries.forEach((e, i) => {
      const s = samples[i]!;
      const w = median(s.map((x) => x.wall));
      let line = `${e.label.padEnd(44)} ${w.toFixed(1).padStart(9)} ${Math.min(...s.map((x) => x.wall)).toFixed(1).padStart(7)} ${(w / baseWall).toFixed(2).padStart(7)}`;
      if (usePerf) {
        const c = median(cpus(s));
        line += ` ${c.toFixed(1).padStart(8)} ${(c / baseCpu).toFixed(2).padStart(7)}`;
      }
      console.log(line);
    });
  } finally {
    cleanup();
  }
}

main();
