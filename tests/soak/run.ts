// `npm run soak`: the crash soak (SIGKILL cycles + power cuts), every fuzzer at >= 100,000 cases
// and a load run against our ovsdb-server and the real one, in bounded time. Prints one summary
// line per part and ends with exactly one line:
//   soak: N cycles, N acknowledged, N lost, N fuzz cases, N crashes
// Exit status 1 when anything was lost or crashed. Knobs (environment): SOAK_SEED, SOAK_CYCLES
// (100), SOAK_FUZZ_RUNS (100000), SOAK_FUZZ_JOBS (2), SOAK_LOAD_SECONDS (60), SOAK_CLIENTS (200),
// SOAK_WRITERS (50), SOAK_SKIP (comma list of crash,fuzz,load).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FuzzRunResult } from '../fuzz/harness.js';
import { TARGETS } from '../fuzz/targets.js';
import { needRealOvs } from '../lib/env.js';
import { runCrashSoak, type CrashSoakResult } from './crash.js';
import { formatLoad, runLoad, type LoadResult } from './load.js';
import { seedFromEnv } from './rng.js';

const num = (name: string, dflt: number): number => {
  const v = process.env[name];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : dflt;
};
const seed = seedFromEnv();
const cycles = num('SOAK_CYCLES', 100);
const fuzzRuns = num('SOAK_FUZZ_RUNS', 100_000);
const fuzzJobs = Math.max(1, num('SOAK_FUZZ_JOBS', 2));
const loadSeconds = num('SOAK_LOAD_SECONDS', 60);
const clients = num('SOAK_CLIENTS', 200);
const writers = num('SOAK_WRITERS', 50);
const skip = new Set((process.env.SOAK_SKIP ?? '').split(',').filter(Boolean));
const worker = join(dirname(fileURLToPath(import.meta.url)), 'fuzz-worker.js');
const started = Date.now();
const say = (s: string): void => { process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}\n`); };

function fuzzOne(name: string, runs: number, s: number): Promise<FuzzRunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [worker, name, String(runs), String(s)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { if (err.length < 20000) err += d.toString(); });
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 20 * 60 * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as FuzzRunResult);
      } catch {
        resolve({ target: name, cases: 0, crashes: 1, seed: s, seconds: 0, peakHeapMiB: 0,
          failure: { input: null, error: `fuzz worker died (${code ?? signal}): ${err.slice(-2000)}` } });
      }
    });
  });
}

async function fuzzAll(): Promise<FuzzRunResult[]> {
  // Cheapest targets first, so a run cut short still has the most targets finished.
  const order = ['flow-syntax', 'netlink-decoder', 'vsctl-args', 'jsonrpc-splitter', 'transact', 'server-connection'];
  const rank = (n: string): number => (order.indexOf(n) + 1) || order.length + 1;
  const queue = TARGETS.map((t, i) => ({ name: t.target.name, seed: (seed + i * 7919) >>> 0 })).sort((a, b) => rank(a.name) - rank(b.name));
  const results: FuzzRunResult[] = [];
  await Promise.all(Array.from({ length: fuzzJobs }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      say(`fuzz ${job.name}: ${fuzzRuns} cases (seed ${job.seed})...`);
      const r = await fuzzOne(job.name, fuzzRuns, job.seed);
      say(`fuzz ${r.target}: ${r.cases} cases, ${r.crashes} crashes, ${r.seconds.toFixed(0)} s, peak heap ${r.peakHeapMiB} MiB`);
      if (r.failure) say(`fuzz ${r.target} FAILURE: ${JSON.stringify(r.failure.input).slice(0, 1500)}\n${r.failure.error}`);
      results.push(r);
    }
  }));
  return results;
}

say(`soak: seed ${seed}, ${cycles} crash cycles, ${fuzzRuns} cases per fuzzer (${TARGETS.length} fuzzers, ${fuzzJobs} at a time), load ${clients}+${writers} for ${loadSeconds} s`);
const crashP: Promise<CrashSoakResult | undefined> = skip.has('crash') ? Promise.resolve(undefined)
  : runCrashSoak({ cycles, seed, log: say });
const fuzzP = skip.has('fuzz') ? Promise.resolve([] as FuzzRunResult[]) : fuzzAll();
const crash = await crashP;
if (crash) {
  say(`crash soak: ${crash.cycles} cycles, ${crash.acknowledged} acknowledged (${crash.durableCommits} durable), ${crash.lost} lost, ` +
    `${crash.powerCuts} power cuts (${crash.powerCutFailures} failed), ${crash.killsDuringStartup} kills during startup, ` +
    `${crash.killsDuringCompaction} during compaction, ${crash.txnErrors} transaction errors, ${crash.seconds.toFixed(0)} s`);
  for (const p of crash.problems) say(`crash soak PROBLEM: ${p}`);
}
const fuzz = await fuzzP;
const loads: LoadResult[] = [];
let loadErrors = 0;
if (!skip.has('load')) {
  for (const kind of ['ours', 'real'] as const) {
    if (kind === 'real' && needRealOvs()) { say(`load real: skipped (${needRealOvs()})`); continue; }
    say(`load ${kind}: ${clients} monitoring clients + ${writers} writers for ${loadSeconds} s...`);
    try {
      const r = await runLoad({ kind, clients, writers, seconds: loadSeconds });
      loads.push(r);
      say(`load ${formatLoad(r)}`);
      if (kind === 'ours') loadErrors += r.errors + (r.clients - r.clientsAlive);
    } catch (e) {
      say(`load ${kind} FAILED: ${(e as Error).stack}`);
      if (kind === 'ours') loadErrors++;
    }
  }
  const [o, r] = [loads.find((l) => l.kind === 'ours'), loads.find((l) => l.kind === 'real')];
  if (o && r) {
    say(`load ours/real: throughput ${(o.throughput / r.throughput).toFixed(2)}x, p50 ${(o.p50ms / r.p50ms).toFixed(2)}x, ` +
      `p99 ${(o.p99ms / r.p99ms).toFixed(2)}x, peak RSS ${(o.peakRssMiB / r.peakRssMiB).toFixed(2)}x`);
  }
}
const cases = fuzz.reduce((a, r) => a + r.cases, 0);
const crashes = fuzz.reduce((a, r) => a + r.crashes, 0);
const lost = crash?.lost ?? 0;
say(`total ${((Date.now() - started) / 1000).toFixed(0)} s; load errors (ours) ${loadErrors}`);
console.log(`soak: ${crash?.cycles ?? 0} cycles, ${crash?.acknowledged ?? 0} acknowledged, ${lost} lost, ${cases} fuzz cases, ${crashes} crashes`);
process.exit(lost > 0 || crashes > 0 || loadErrors > 0 || (crash?.powerCutFailures ?? 0) > 0 ? 1 : 0);
