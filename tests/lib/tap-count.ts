// Counts leaf test points in a TAP 14 stream (subtest summary lines are not counted again), and
// picks the lines worth showing: each file's result, every failure with its diagnostics, every skip.
export interface TapTotals { passed: number; failed: number; skipped: number }

const pointRe = /^(\s*)(ok|not ok)\b\s*\d*\s*(?:-\s*)?(.*)$/;
const subtestRe = /^(\s*)# Subtest: (.*)$/;

export class TapCounter {
  private pending: Map<number, number> = new Map(); // indent -> open subtest blocks
  private inFailure = -1;
  private readonly t: TapTotals = { passed: 0, failed: 0, skipped: 0 };

  line(raw: string): string | undefined {
    const sub = subtestRe.exec(raw);
    if (sub) {
      const ind = sub[1]!.length;
      this.pending.set(ind, (this.pending.get(ind) ?? 0) + 1);
      return undefined;
    }
    const m = pointRe.exec(raw);
    if (!m) {
      if (this.inFailure >= 0 && raw.startsWith(' '.repeat(this.inFailure + 2))) return raw;
      this.inFailure = -1;
      return undefined;
    }
    this.inFailure = -1;
    const ind = m[1]!.length;
    const ok = m[2] === 'ok';
    const rest = m[3] ?? '';
    const skip = /#\s*SKIP\b/i.test(rest);
    const todo = /#\s*TODO\b/i.test(rest);
    const open = this.pending.get(ind) ?? 0;
    const isSummary = open > 0;
    if (isSummary) this.pending.set(ind, open - 1);
    if (ind === 0) return `${ok ? 'ok    ' : 'FAIL  '} ${rest.replace(/\s*#\s*time=.*$/, '')}`;
    if (isSummary && !skip) {
      return ok ? undefined : `${' '.repeat(ind)}not ok ${rest}`;
    }
    if (skip) { this.t.skipped++; return `${' '.repeat(ind)}skip ${rest}`; }
    if (todo) return undefined;
    if (ok) { this.t.passed++; return undefined; }
    this.t.failed++;
    this.inFailure = ind;
    return `${' '.repeat(ind)}not ok ${rest}`;
  }

  totals(): TapTotals { return { ...this.t }; }
}
