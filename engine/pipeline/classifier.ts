// A packet classifier for one OpenFlow table: tuple-space search as in OVS's lib/classifier.c.
// Rules are grouped into subtables by mask; a lookup hashes the packet once per subtable, visits
// subtables in descending order of their best priority and stops as soon as no remaining
// subtable can beat the match found. Each visited subtable is checked in stages (metadata,
// L2, L3, L4); the lookup un-wildcards only the stages it had to look at, which is what keeps
// megaflows wide.
import { FieldId, FlowVec, N_FIELDS, F, N_REGS, ETH_TYPE, cidrBits } from './fields.js';
import type { Match } from './match.js';
import { PrefixTrie, prefixMask32 } from './prefix-trie.js';

export interface ClassifierRule { match: Match; priority: number }

/** Fields with a prefix trie, in OVS's default order (ip_dst, ip_src). */
const TRIE_FIELDS: readonly FieldId[] = [F.nw_dst, F.nw_src];
const L3_STAGE = 2;
const L4_STAGE = 3;

/** Per-lookup state of the classifier-wide tries (looked up on demand, once). */
interface TrieCtx { done: boolean; maskbits: number; plens: Set<number> | 'all' }

const STAGES: readonly FieldId[][] = (() => {
  const regs: FieldId[] = [];
  for (let i = 0; i < N_REGS; i++) regs.push(F.reg0 + i);
  return [
    [F.metadata, ...regs, F.tun_id, F.tun_src, F.tun_dst, F.in_port],
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
  /** Which of STAGES each entry of `stages` is. */
  readonly stageKinds: number[];
  /** Prefix length of the subtable's mask on each trie field (0 = not a prefix / absent). */
  readonly triePlen: number[];
  /** The 32-bit tp_src:tp_dst mask and its ports trie (narrows L4 wildcarding on a miss). */
  readonly portsMask: number;
  readonly portsMaskLen: number;
  readonly portsTrie = new PrefixTrie();
  maxPriority = -1;
  count = 0;
  /** How many rules have each priority (keeps maxPriority cheap to maintain on removal). */
  private readonly priorities = new Map<number, number>();

  constructor(mask: FlowVec) {
    this.mask = mask.slice();
    this.stageKinds = [];
    this.stages = [];
    STAGES.forEach((st, i) => {
      const fs = st.filter((f) => mask[f] !== 0n);
      if (fs.length) { this.stages.push(fs); this.stageKinds.push(i); }
    });
    this.stagePrefixes = this.stages.slice(0, -1).map(() => new Map<string, number>());
    this.triePlen = TRIE_FIELDS.map((f) => { const c = cidrBits(mask[f]!, 32); return c > 0 ? c : 0; });
    this.portsMask = ((Number(mask[F.tp_src]) << 16) | Number(mask[F.tp_dst])) >>> 0;
    let tz = 0;
    while (tz < 32 && this.portsMask !== 0 && ((this.portsMask >>> tz) & 1) === 0) tz++;
    this.portsMaskLen = this.portsMask === 0 ? 0 : 32 - tz;
  }

  portsValue(values: FlowVec): number {
    return (((Number(values[F.tp_src]) << 16) | Number(values[F.tp_dst])) & this.portsMask) >>> 0;
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
    if (this.portsMaskLen) this.portsTrie.insert(this.portsValue(rule.match.value), this.portsMaskLen);
    this.count++;
    this.priorities.set(rule.priority, (this.priorities.get(rule.priority) ?? 0) + 1);
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
    if (this.portsMaskLen) this.portsTrie.remove(this.portsValue(rule.match.value), this.portsMaskLen);
    for (let s = 0; s < last; s++) {
      const pk = this.key(rule.match.value, s, true);
      const n = (this.stagePrefixes[s]!.get(pk) ?? 1) - 1;
      if (n === 0) this.stagePrefixes[s]!.delete(pk); else this.stagePrefixes[s]!.set(pk, n);
    }
    this.count--;
    const n = (this.priorities.get(rule.priority) ?? 1) - 1;
    if (n > 0) this.priorities.set(rule.priority, n);
    else {
      this.priorities.delete(rule.priority);
      if (rule.priority === this.maxPriority) this.maxPriority = Math.max(-1, ...this.priorities.keys());
    }
    return true;
  }

  /** Best rule for `flow`, un-wildcarding in `wc` the stages consulted (OVS find_match_wc:
   *  prefix tries may rule the subtable out on fewer bits of nw_src/nw_dst, the ports trie
   *  narrows tp_src/tp_dst on a miss). */
  lookup(flow: FlowVec, wc: FlowVec | undefined, tries?: TrieLookup): R | undefined {
    const last = this.stages.length - 1;
    if (last < 0) {  // the catch-all subtable: nothing to look at
      const b = this.buckets.get('');
      return b?.[0];
    }
    for (let s = 0; s <= last; s++) {
      if (wc && tries && this.stageKinds[s] === L3_STAGE && tries.skip(this, flow, wc)) return undefined;
      const k = this.key(flow, s, false);
      if (s < last) {
        if (wc) for (const f of this.stages[s]!) wc[f] = wc[f]! | this.mask[f]!;
        if (!this.stagePrefixes[s]!.has(k)) return undefined;
      } else {
        const r = this.buckets.get(k)?.[0];
        if (wc) {
          if (!r && this.portsMaskLen && this.stageKinds[s] === L4_STAGE) {
            const mbits = this.portsTrie.lookup(this.portsValue(flow), 32, new Set());
            const m = (this.portsMask & prefixMask32(mbits)) >>> 0;
            wc[F.tp_src] = wc[F.tp_src]! | BigInt(m >>> 16);
            wc[F.tp_dst] = wc[F.tp_dst]! | BigInt(m & 0xffff);
          } else {
            for (const f of this.stages[s]!) wc[f] = wc[f]! | this.mask[f]!;
          }
        }
        return r;
      }
    }
    return undefined;
  }
}

/** The classifier-wide nw_dst/nw_src tries as one lookup uses them (OVS check_tries). */
class TrieLookup {
  private readonly ctx: TrieCtx[] = TRIE_FIELDS.map(() => ({ done: false, maskbits: 0, plens: new Set<number>() }));
  constructor(private readonly tries: PrefixTrie[]) {}

  skip<R extends ClassifierRule>(st: Subtable<R>, flow: FlowVec, wc: FlowVec): boolean {
    for (let j = 0; j < TRIE_FIELDS.length; j++) {
      const plen = st.triePlen[j]!;
      if (!plen) continue;
      const field = TRIE_FIELDS[j]!;
      const c = this.ctx[j]!;
      if (!c.done) {
        c.done = true;
        // The trie is only meaningful for IPv4 packets (ARP reuses these fields).
        if (Number(flow[F.dl_type]) !== ETH_TYPE.IP) c.plens = 'all';
        else { c.plens = new Set(); c.maskbits = this.tries[j]!.lookup(Number(flow[field]), 32, c.plens); }
      }
      if (c.plens === 'all' || c.plens.has(plen)) continue;
      const bits = BigInt(prefixMask32(c.maskbits));
      if (c.maskbits <= plen) { wc[field] = wc[field]! | bits; return true; }
      if ((wc[field]! & bits) === bits) return true;
    }
    return false;
  }
}

/** One table of rules; lookups are priority-ordered tuple-space search. */
export class Classifier<R extends ClassifierRule> {
  private readonly subtables = new Map<string, Subtable<R>>();
  private readonly tries = TRIE_FIELDS.map(() => new PrefixTrie());
  private ordered: Subtable<R>[] = [];
  private n = 0;

  get size(): number { return this.n; }
  get subtableCount(): number { return this.subtables.size; }

  insert(rule: R): void {
    const mk = maskKey(rule.match.mask);
    let st = this.subtables.get(mk);
    if (!st) { st = new Subtable<R>(rule.match.mask); this.subtables.set(mk, st); }
    st.insert(rule);
    st.triePlen.forEach((plen, j) => { if (plen) this.tries[j]!.insert(Number(rule.match.value[TRIE_FIELDS[j]!]), plen); });
    this.n++;
    this.reorder();
  }

  remove(rule: R): boolean {
    const mk = maskKey(rule.match.mask);
    const st = this.subtables.get(mk);
    if (!st || !st.remove(rule)) return false;
    st.triePlen.forEach((plen, j) => { if (plen) this.tries[j]!.remove(Number(rule.match.value[TRIE_FIELDS[j]!]), plen); });
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
    const tries = wc ? new TrieLookup(this.tries) : undefined;
    for (const st of this.ordered) {
      if (best && st.maxPriority <= best.priority) break;
      const r = st.lookup(flow, wc, tries);
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
