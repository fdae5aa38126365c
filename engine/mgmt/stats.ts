// Where the management API's time goes: per method, the number of calls and the milliseconds spent
// in the handler, and for ovsps/vsctl the same split by phase (read, run, plan, commit, wait,
// view, ...). Always on (a few clock reads per call); `ovsps/stats` returns it, optionally resetting
// it, so a benchmark can print the engine's side of each cmdlet next to what the client measured.
import { performance } from 'node:perf_hooks';
import type { JsonObject } from '../ovsdb/api.js';

/** The process's CPU time (user + system, all threads) in ms. */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Splits one call into named phases: mark(name) charges the wall time since the last mark to
 *  `name`, and with `cpu` the process's CPU time too (process.cpuUsage() is a system call, a few
 *  microseconds each on a busy machine, so that is asked for: ovsps/stats {cpu: true}). */
export class PhaseTimer {
  readonly started = performance.now();
  readonly startedCpu: number;
  private last = this.started;
  private lastCpu: number;
  /** Per phase: [wall ms, CPU ms (0 without `cpu`)]. */
  readonly phases = new Map<string, [number, number]>();

  constructor(readonly cpu = false) {
    this.startedCpu = this.lastCpu = cpu ? cpuNow() : 0;
  }

  mark(phase: string): void {
    const now = performance.now(), cpu = this.cpu ? cpuNow() : 0;
    const p = this.phases.get(phase);
    if (p) { p[0] += now - this.last; p[1] += cpu - this.lastCpu; } else this.phases.set(phase, [now - this.last, cpu - this.lastCpu]);
    this.last = now;
    this.lastCpu = cpu;
  }
}

interface MethodStats { calls: number; errors: number; ms: number; cpuMs: number; maxMs: number; phases: Map<string, [number, number]> }

export class MgmtStats {
  private readonly methods = new Map<string, MethodStats>();
  private since = Date.now();
  /** Whether calls measure CPU time too (see PhaseTimer). */
  cpu = false;

  /** A timer for one call, measuring what this object is set to measure. */
  timer(): PhaseTimer {
    return new PhaseTimer(this.cpu);
  }

  /** Records one finished call of `method` timed by `timer` (started when the call began). */
  record(method: string, ok: boolean, timer: PhaseTimer): void {
    const ms = performance.now() - timer.started, cpuMs = timer.cpu ? cpuNow() - timer.startedCpu : 0;
    let s = this.methods.get(method);
    if (!s) this.methods.set(method, (s = { calls: 0, errors: 0, ms: 0, cpuMs: 0, maxMs: 0, phases: new Map() }));
    s.calls++;
    if (!ok) s.errors++;
    s.ms += ms;
    s.cpuMs += cpuMs;
    if (ms > s.maxMs) s.maxMs = ms;
    for (const [p, [w, c]] of timer.phases) {
      const t = s.phases.get(p);
      if (t) { t[0] += w; t[1] += c; } else s.phases.set(p, [w, c]);
    }
  }

  reset(): void {
    this.methods.clear();
    this.since = Date.now();
  }

  /** {since, cpu, methods: {name: {calls, errors, totalMs, meanMs, maxMs, phasesMs: {phase: mean
   *  wall ms per call}, and with cpu: meanCpuMs, phasesCpuMs: {phase: mean CPU ms per call}}}} */
  toJson(): JsonObject {
    const methods: JsonObject = {};
    const round = (x: number): number => Math.round(x * 1000) / 1000;
    for (const [name, s] of [...this.methods].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const phasesMs: JsonObject = {}, phasesCpuMs: JsonObject = {};
      for (const [p, [w, c]] of s.phases) { phasesMs[p] = round(w / s.calls); phasesCpuMs[p] = round(c / s.calls); }
      const m: JsonObject = { calls: s.calls, errors: s.errors, totalMs: round(s.ms), meanMs: round(s.ms / s.calls), maxMs: round(s.maxMs), phasesMs };
      if (this.cpu) { m.meanCpuMs = round(s.cpuMs / s.calls); m.phasesCpuMs = phasesCpuMs; }
      methods[name] = m;
    }
    return { since: new Date(this.since).toISOString(), cpu: this.cpu, methods };
  }
}
