// Where the management API's time goes: per method, the number of calls and the milliseconds spent
// in the handler, and for ovsps/vsctl the same split by phase (read, run, plan, commit, wait,
// view, ...). Always on (a few clock reads per call); `ovsps/stats` returns it, optionally resetting
// it, so a benchmark can print the engine's side of each cmdlet next to what the client measured.
import { performance } from 'node:perf_hooks';
import type { JsonObject } from '../ovsdb/api.js';

/** Splits one call into named phases: mark(name) charges the time since the last mark to `name`. */
export class PhaseTimer {
  private last = performance.now();
  readonly phases = new Map<string, number>();

  mark(phase: string): void {
    const now = performance.now();
    this.phases.set(phase, (this.phases.get(phase) ?? 0) + (now - this.last));
    this.last = now;
  }
}

interface MethodStats { calls: number; errors: number; ms: number; maxMs: number; phases: Map<string, number> }

export class MgmtStats {
  private readonly methods = new Map<string, MethodStats>();
  private since = Date.now();

  /** Records one finished call of `method` that took `ms`, with its phases if it had any. */
  record(method: string, ms: number, ok: boolean, timer?: PhaseTimer): void {
    let s = this.methods.get(method);
    if (!s) this.methods.set(method, (s = { calls: 0, errors: 0, ms: 0, maxMs: 0, phases: new Map() }));
    s.calls++;
    if (!ok) s.errors++;
    s.ms += ms;
    if (ms > s.maxMs) s.maxMs = ms;
    if (timer) for (const [p, v] of timer.phases) s.phases.set(p, (s.phases.get(p) ?? 0) + v);
  }

  reset(): void {
    this.methods.clear();
    this.since = Date.now();
  }

  /** {since, methods: {name: {calls, errors, totalMs, meanMs, maxMs, phasesMs: {phase: mean ms per call}}}} */
  toJson(): JsonObject {
    const methods: JsonObject = {};
    const round = (x: number): number => Math.round(x * 1000) / 1000;
    for (const [name, s] of [...this.methods].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const phasesMs: JsonObject = {};
      for (const [p, v] of s.phases) phasesMs[p] = round(v / s.calls);
      methods[name] = { calls: s.calls, errors: s.errors, totalMs: round(s.ms), meanMs: round(s.ms / s.calls), maxMs: round(s.maxMs), phasesMs };
    }
    return { since: new Date(this.since).toISOString(), methods };
  }
}
