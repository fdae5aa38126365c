// Port mirroring (SPAN/RSPAN) as ovs-vswitchd configures it from the Mirror table
// (bridge.c mirror_configure) and ofproto-dpif-mirror.c keeps it: up to 32 mirrors per bridge,
// each selecting packets by the port they enter (select_src_port), the port they leave
// (select_dst_port), or every port (select_all), optionally only in some VLANs (select_vlan),
// and copying them to one port (output_port, SPAN) or flooding them in one VLAN (output_vlan,
// RSPAN). Mirrors with the same destination are duplicates of each other: a packet is copied to
// one destination at most once. Translation (xlate.ts) does the copying; this file holds the
// configuration and the per-mirror counters (Mirror `statistics`: tx_packets, tx_bytes).
import { InvalidInputError } from '../util/errors.js';

/** OVS's MAX_MIRRORS: a mirror set is a 32-bit mask. */
export const MAX_MIRRORS = 32;

/** One Mirror row resolved to this bridge's pipeline port names. */
export interface MirrorSpec {
  name: string;
  /** select_all: every port is a source and a destination. */
  selectAll?: boolean;
  /** Ports whose received packets are mirrored (pipeline port names). */
  srcPorts?: readonly string[];
  /** Ports whose transmitted packets are mirrored. */
  dstPorts?: readonly string[];
  /** select_vlan: only packets in these VLANs (empty or absent = all VLANs). */
  vlans?: readonly number[];
  /** output_port (a pipeline port name); takes precedence over outVlan, as in OVS. */
  outPort?: string;
  /** output_vlan (1..4095): RSPAN. */
  outVlan?: number;
  /** snaplen (14..65535): copies are truncated to this many bytes; absent = whole packets. */
  snaplen?: number;
}

export interface BridgeMirror {
  readonly name: string;
  readonly index: number;
  readonly selectAll: boolean;
  readonly src: ReadonlySet<string>;
  readonly dst: ReadonlySet<string>;
  /** undefined = every VLAN. */
  readonly vlans?: ReadonlySet<number>;
  readonly outPort?: string;
  readonly outVlan?: number;
  readonly snaplen?: number;
  /** Bit mask of the mirrors (this one included) with the same destination. */
  dupMask: number;
  txPackets: bigint;
  txBytes: bigint;
}

/** A bridge's mirrors and the per-port masks translation consults. */
export class MirrorSet {
  private list: BridgeMirror[] = [];
  private specKey = '[]';

  get size(): number { return this.list.length; }
  all(): readonly BridgeMirror[] { return this.list; }
  byIndex(i: number): BridgeMirror | undefined { return this.list[i]; }
  byName(name: string): BridgeMirror | undefined { return this.list.find((m) => m.name === name); }

  /** Replaces the configuration; counters of mirrors that keep their name survive. Returns the
   *  messages OVS would log for mirrors it cannot create, and whether anything changed. */
  configure(specs: readonly MirrorSpec[]): { changed: boolean; warnings: string[] } {
    const warnings: string[] = [];
    const kept: MirrorSpec[] = [];
    const names = new Set<string>();
    for (const s of specs) {
      if (typeof s.name !== 'string' || s.name === '') throw new InvalidInputError(`mirror name ${JSON.stringify(s.name)} is not a non-empty string`);
      if (names.has(s.name)) throw new InvalidInputError(`mirror ${s.name} is configured twice`);
      names.add(s.name);
      for (const v of s.vlans ?? []) {
        if (!Number.isInteger(v) || v < 0 || v > 4095) throw new InvalidInputError(`mirror ${s.name}: select_vlan ${v} is out of range (expected 0..4095)`);
      }
      if (s.outVlan !== undefined && (!Number.isInteger(s.outVlan) || s.outVlan < 1 || s.outVlan > 4095)) {
        throw new InvalidInputError(`mirror ${s.name}: output_vlan ${s.outVlan} is out of range (expected 1..4095)`);
      }
      if (s.snaplen !== undefined && (!Number.isInteger(s.snaplen) || s.snaplen < 14 || s.snaplen > 65535)) {
        throw new InvalidInputError(`mirror ${s.name}: snaplen ${s.snaplen} is out of range (expected 14..65535)`);
      }
      if (kept.length >= MAX_MIRRORS) { warnings.push(`maximum of ${MAX_MIRRORS} port mirrors reached, cannot create ${s.name}`); continue; }
      kept.push(s);
    }
    const key = JSON.stringify(kept.map((s) => [s.name, !!s.selectAll, [...(s.srcPorts ?? [])].sort(), [...(s.dstPorts ?? [])].sort(),
      [...(s.vlans ?? [])].sort((a, b) => a - b), s.outPort ?? null, s.outPort === undefined ? s.outVlan ?? null : null, s.snaplen ?? null]));
    if (key === this.specKey) return { changed: false, warnings };
    const old = new Map(this.list.map((m) => [m.name, m]));
    this.list = kept.map((s, index) => {
      const prev = old.get(s.name);
      const vlans = s.vlans && s.vlans.length ? new Set(s.vlans) : undefined;
      return {
        name: s.name, index, selectAll: !!s.selectAll, src: new Set(s.srcPorts ?? []), dst: new Set(s.dstPorts ?? []), vlans,
        outPort: s.outPort, outVlan: s.outPort === undefined ? s.outVlan : undefined, snaplen: s.snaplen, dupMask: 0,
        txPackets: prev?.txPackets ?? 0n, txBytes: prev?.txBytes ?? 0n,
      };
    });
    for (const a of this.list) {
      a.dupMask = 0;
      for (const b of this.list) if (a.outPort === b.outPort && a.outVlan === b.outVlan) a.dupMask |= 1 << b.index;
    }
    this.specKey = key;
    return { changed: true, warnings };
  }

  /** Mirrors that copy packets received on port `name`. */
  srcMask(name: string): number {
    let m = 0;
    for (const x of this.list) if (x.selectAll || x.src.has(name)) m |= 1 << x.index;
    return m;
  }

  /** Mirrors that copy packets sent on port `name`. */
  dstMask(name: string): number {
    let m = 0;
    for (const x of this.list) if (x.selectAll || x.dst.has(name)) m |= 1 << x.index;
    return m;
  }

  /** Whether `name` is some mirror's output port (reserved: no normal traffic in or out). */
  isOutput(name: string): boolean {
    return this.list.some((x) => x.outPort === name);
  }

  /** Credits the mirrors in `mask` with traffic. */
  credit(mask: number, packets: bigint, bytes: bigint): void {
    for (const x of this.list) if (mask & (1 << x.index)) { x.txPackets += packets; x.txBytes += bytes; }
  }
}
