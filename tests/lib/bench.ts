// Helpers shared by the benchmarks in tests/bench (command-line options, child processes, counters).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The value following the command-line option `name` (e.g. `--seconds 5`), or undefined if absent. */
export const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };

/** Runs a command without blocking this thread (our datapath's main thread serves upcalls); SIGKILLs it after `timeoutMs`. */
export function runAsync(cmd: string, args: string[], timeoutMs = 120_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (status) => { clearTimeout(t); resolve({ status, stdout, stderr }); });
  });
}

/** The median of the finite values of `xs` (NaN when there are none). */
export function median(xs: number[]): number {
  const v = xs.filter(Number.isFinite).sort((p, q) => p - q);
  if (v.length === 0) return NaN;
  return v.length % 2 ? v[v.length >> 1]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
}

/** CPU seconds (user+system, all threads) a process has used so far, from /proc/<pid>/stat. */
export function cpuOfPid(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' '); // the name may hold spaces and ')'
  return (Number(rest[11]) + Number(rest[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** The rx_packets counter of device `dev` in namespace `ns`; throws if it cannot be read. */
export function rxPackets(ns: string, dev: string): number {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${dev}/statistics/rx_packets`], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`rx_packets of ${dev} in ${ns}: ${r.stderr}`);
  return Number(r.stdout.trim());
}
