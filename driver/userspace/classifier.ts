// The megaflow table: flows grouped by mask ("mask classes", as OVS's dpcls subtables); a lookup
// hashes the packet's key under each mask in turn and compares the masked words of the candidates.
// Lookup allocates nothing. Classes are re-ordered by hit count now and then, so the busiest mask
// is tried first.
import { KEY_WORDS } from '../../engine/channel/flow-extract.js';
import type { CompiledAction } from './actions.js';

export interface MegaflowEntry {
  readonly slot: number;
  readonly key: Uint32Array;     // already masked
  readonly actions: CompiledAction[];
  cls: MaskClass;
  hash: number;
}

export class MaskClass {
  readonly mask: Uint32Array;
  readonly words: Int32Array;    // indexes of the mask's non-zero words
  readonly buckets = new Map<number, MegaflowEntry[]>();
  count = 0;
  hits = 0;
  constructor(mask: Uint32Array) {
    this.mask = mask;
    const idx: number[] = [];
    for (let i = 0; i < KEY_WORDS; i++) if (mask[i] !== 0) idx.push(i);
    this.words = Int32Array.from(idx);
  }
  hashOf(key: Uint32Array): number {
    const m = this.mask, ws = this.words;
    let h = 0x2545f491;
    for (let j = 0; j < ws.length; j++) {
      const i = ws[j]!;
      h = Math.imul(h ^ (key[i]! & m[i]!), 0x9e3779b1);
      h ^= h >>> 15;
    }
    return h;
  }
}

function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < KEY_WORDS; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Classifier {
  private classes: MaskClass[] = [];
  private readonly bySlot = new Map<number, MegaflowEntry>();
  private lookups = 0;

  get size(): number { return this.bySlot.size; }
  get maskCount(): number { return this.classes.length; }

  /** Adds (or replaces, by slot) a flow; `key` must already be masked by `mask`. */
  insert(slot: number, key: Uint32Array, mask: Uint32Array, actions: CompiledAction[]): void {
    this.remove(slot);
    let cls = this.classes.find((c) => sameWords(c.mask, mask));
    if (!cls) { cls = new MaskClass(mask); this.classes.push(cls); }
    const hash = cls.hashOf(key);
    const e: MegaflowEntry = { slot, key, actions, cls, hash };
    const list = cls.buckets.get(hash);
    if (list) list.push(e); else cls.buckets.set(hash, [e]);
    cls.count++;
    this.bySlot.set(slot, e);
  }

  /** Replaces only the actions of a flow (flow modify keeps key, mask and stats). */
  setActions(slot: number, actions: CompiledAction[]): void {
    const e = this.bySlot.get(slot);
    if (e) (e as { actions: CompiledAction[] }).actions = actions;
  }

  remove(slot: number): void {
    const e = this.bySlot.get(slot);
    if (!e) return;
    this.bySlot.delete(slot);
    const cls = e.cls;
    const list = cls.buckets.get(e.hash)!;
    const i = list.indexOf(e);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) cls.buckets.delete(e.hash);
    if (--cls.count === 0) this.classes.splice(this.classes.indexOf(cls), 1);
  }

  clear(): void {
    this.classes = [];
    this.bySlot.clear();
  }

  lookup(key: Uint32Array): MegaflowEntry | undefined {
    if ((++this.lookups & 0xffff) === 0 && this.classes.length > 1) this.classes.sort((a, b) => b.hits - a.hits);
    const classes = this.classes;
    for (let c = 0; c < classes.length; c++) {
      const cls = classes[c]!;
      const list = cls.buckets.get(cls.hashOf(key));
      if (list === undefined) continue;
      const m = cls.mask, ws = cls.words;
      for (let k = 0; k < list.length; k++) {
        const e = list[k]!;
        let ok = true;
        for (let j = 0; j < ws.length; j++) {
          const i = ws[j]!;
          if (((key[i]! & m[i]!) >>> 0) !== e.key[i]) { ok = false; break; }
        }
        if (ok) { cls.hits++; return e; }
      }
    }
    return undefined;
  }
}
