// A packet classifier for one OpenFlow table: tuple-space search as in OVS's lib/classifier.c.
// Rules are grouped into subtables by mask; a lookup hashes the packet once per subtable, visits
// subtables in descending order of their best priority and stops as soon as no remaining
// subtable can beat the match found. Each visited subtable is checked in stages (metadata,
// L2, L3, L4); the lookup un-wildcards only the stages it had to look at, which is what keeps
// megaflows wide.
import { FieldId, FlowVec, N_FIELDS, F, N_REGS } from './fields.js';
import type { Match } from './match.js';

export interface ClassifierRule { match: Match; priority: number }

const STAGES: readonly FieldId[][] = (() => {
  const regs: FieldId[] = [];
  for (let i = 0; i < N_REGS; i++) regs.push(F.reg0 + i);
  return [
    [F.metadata, ...regs, F.in_port],
    [F.dl_src, F.dl_dst, F.dl_type, F.vlan_tci],
    [F.nw_src, F.nw_dst, F.nw_proto, F.nw_tos, F.nw_ttl, F.arp_sha, F.arp_tha],
    [F.tp_src, F.tp_dst],
  ];
})();

function maskKey(mask: FlowVec): string {
  let s = '';
  for (let i = 0; i < N_FIELDS; i++) if (mask[i] !== 0n) s += `${i}:${mask[i]!.toString(16)};`;
  return s;
}

class Subtable<R extends ClassifierRule> {
  readonly mask: FlowVec;
  /** Per stage, the fields of this subtable's mask in that stage (empty stages dropped). */
  readonly stages: FieldId[][];
  /** Rules by masked value, each bucket sorted by descending priority. */
  readonly buckets = new Map<string, R[]>();
  /** Per stage but the last, how many rules share each partial key (for early rejection). */
  readonly stagePrefixes: Map<string, number>[];
  maxPriority = -1;
  count = 0;

  constructor(mask: FlowVec) {
    this.mask = mask.slice();
    this.stages = STAGES.map((st) => st.filter((f) => mask[f] !== 0n)).filter((st) => st.length > 0);
    this.stagePrefixes = this.stages.slice(0, -1).map(() => new Map<string, number>());
  }

  /** Key of `values` (already masked, or a packet to be masked) up to and including stage `upTo`. */
  key(values: FlowVec, upTo: number, alreadyMasked: boolean): string {
    let s = '';
    for (let i = 0; i <= upTo; i++) {
      for (const f of this.stages[i]!) s += (alreadyMasked ? values[f]! : values[f]! & this.mask[f]!).toString(16) + ',';
      s += '|';
    }
    return s;
  }

  insert(rule: R): void {
    const last = this.stages.length - 1;
    for (let i = 0; i < last; i++) {
      const k = this.key(rule.match.value, i, true);
      this.stagePrefixes[i]!.set(k, (this.stagePrefixes[i]!.get(k) ?? 0) + 1);
    }
    const k = this.key(rule.match.value, last, true);
    let b = this.buckets.get(k);
    if (!b) { b = []; this.buckets.set(k, b); }
    let at = b.findIndex((r) => r.priority < rule.priority);
    if (at < 0) at = b.length;
    b.splice(at, 0, rule);
    this.count++;
    if (rule.priority > this.maxPriority) this.maxPriority = rule.priority;
  }

  remove(rule: R): boolean {
    const last = this.stages.length - 1;
    const k = this.key(rule.match.value, last, true);
    const b = this.buckets.get(k);
    const i = b ? b.indexOf(rule) : -1;
    if (!b || i < 0) return false;
    b.splice(i, 1);
    if (b.length === 0) this.buckets.delete(k);
    for (let s = 0; s < last; s++) {
      const pk = this.key(rule.match.value, s, true);
      const n = (this.stagePrefixes[s]!.get(pk) ?? 1) - 1;
      if (n === 0) this.stagePrefixes[s]!.delete(pk); else this.stagePrefixes[s]!.set(pk, n);
    }
    this.count--;
    if (rule.priority === this.maxPriority) {
      this.maxPriority = -1;
      for (const bucket of this.buckets.values()) if (bucket[0]!.priority > this.maxPriority) this.maxPriority = bucket[0]!.priority;
    }
    return true;
  }

  /** Best rule for `flow`, un-wildcarding in `wc` the stages consulted. */
  lookup(flow: FlowVec, wc: FlowVec | undefined): R | undefined {
    const last = this.stages.length - 1;
    if (last < 0) {  // the catch-all subtable: nothing to look at
      const b = this.buckets.get('');
      return b?.[0];
    }
    for (let s = 0; s <= last; s++) {
      if (wc) for (const f of this.stages[s]!) wc[f] = wc[f]! | this.mask[f]!;
      const k = this.key(flow, s, false);
      if (s < last) {
        if (!this.stagePrefixes[s]!.has(k)) return undefined;
      } else {
        return this.buckets.get(k)?.[0];
      }
    }
    return undefined;
  }
}

/** One table of rules; lookups are priority-ordered tuple-space search. */
export class Classifier<R extends ClassifierRule> {
  private readonly subtables = new Map<string, Subtable<R>>();
  private ordered: Subtable<R>[] = [];
  private n = 0;

  get size(): number { return this.n; }
  get subtableCount(): number { return this.subtables.size; }

  insert(rule: R): void {
    const mk = maskKey(rule.match.mask);
    let st = this.subtables.get(mk);
    if (!st) { st = new Subtable<R>(rule.match.mask); this.subtables.set(mk, st); }
    st.insert(rule);
    this.n++;
    this.reorder();
  }

  remove(rule: R): boolean {
    const mk = maskKey(rule.match.mask);
    const st = this.subtables.get(mk);
    if (!st || !st.remove(rule)) return false;
    if (st.count === 0) this.subtables.delete(mk);
    this.n--;
    this.reorder();
    return true;
  }

  private reorder(): void {
    this.ordered = [...this.subtables.values()].sort((a, b) => b.maxPriority - a.maxPriority);
  }

  /** The highest-priority rule matching `flow`. When `wc` is given, every field bit the lookup
   *  depended on is OR-ed into it (the megaflow mask). */
  lookup(flow: FlowVec, wc?: FlowVec): R | undefined {
    let best: R | undefined;
    for (const st of this.ordered) {
      if (best && st.maxPriority <= best.priority) break;
      const r = st.lookup(flow, wc);
      if (r && (!best || r.priority > best.priority)) best = r;
    }
    return best;
  }

  /** The rule with exactly this match and priority (OpenFlow "strict" identity). */
  findExact(match: Match, priority: number): R | undefined {
    const st = this.subtables.get(maskKey(match.mask));
    if (!st) return undefined;
    const last = st.stages.length - 1;
    const b = st.buckets.get(last < 0 ? '' : st.key(match.value, last, true));
    return b?.find((r) => r.priority === priority);
  }

  *rules(): IterableIterator<R> {
    for (const st of this.subtables.values()) for (const b of st.buckets.values()) yield* b;
  }
}
