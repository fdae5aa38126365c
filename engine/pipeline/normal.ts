// The NORMAL action's building blocks: Port VLAN semantics (tag, trunks, vlan_mode as
// ovs-vswitchd's bridge.c/ofproto-dpif-xlate.c apply them) and the per-bridge MAC learning table
// (keyed by VLAN and MAC, aged, bounded, LRU-evicted, `fdb/show` listing).
import { InvalidInputError } from '../util/errors.js';
import { bigToMac, isMulticastMac } from './fields.js';

export type VlanMode = 'access' | 'trunk' | 'native-tagged' | 'native-untagged';
export const VLAN_MODES: readonly VlanMode[] = ['access', 'trunk', 'native-tagged', 'native-untagged'];

/** Port VLAN settings as in the Port table. */
export interface PortVlanConfig { tag?: number; trunks?: readonly number[]; vlanMode?: VlanMode }

/** The effective VLAN behaviour of a port. `trunks` null = every VLAN. */
export interface PortVlan {
  mode: VlanMode;
  /** Access/native VLAN; -1 for a trunk port. */
  vlan: number;
  trunks: Uint8Array | null;
}

/** bridge.c + ofproto-dpif bundle_set: vlan_mode defaults to access when a tag is set, else
 *  trunk; a native port always trunks its native VLAN and never VLAN 0. */
export function resolvePortVlan(cfg: PortVlanConfig): PortVlan {
  if (cfg.tag !== undefined && (!Number.isInteger(cfg.tag) || cfg.tag < 0 || cfg.tag > 4095)) {
    throw new InvalidInputError(`Port tag ${cfg.tag} is out of range (expected 0..4095)`);
  }
  for (const v of cfg.trunks ?? []) {
    if (!Number.isInteger(v) || v < 0 || v > 4095) throw new InvalidInputError(`Port trunk VLAN ${v} is out of range (expected 0..4095)`);
  }
  if (cfg.vlanMode !== undefined && !VLAN_MODES.includes(cfg.vlanMode)) {
    throw new InvalidInputError(`vlan_mode "${String(cfg.vlanMode)}" is not one of ${VLAN_MODES.join(', ')}`);
  }
  const mode: VlanMode = cfg.vlanMode ?? (cfg.tag !== undefined ? 'access' : 'trunk');
  const vlan = mode === 'trunk' ? -1 : (cfg.tag ?? 0);
  let trunks: Uint8Array | null = null;
  const given = cfg.trunks && cfg.trunks.length > 0 ? cfg.trunks : undefined;
  switch (mode) {
    case 'access': trunks = new Uint8Array(4096); break;
    case 'trunk':
      if (given) { trunks = new Uint8Array(4096); for (const v of given) trunks[v] = 1; }
      break;
    case 'native-tagged': case 'native-untagged':
      if (vlan !== 0 && (!given || !given.includes(vlan) || given.includes(0))) {
        trunks = new Uint8Array(4096).fill(given ? 0 : 1);
        for (const v of given ?? []) trunks[v] = 1;
        trunks[vlan] = 1;
        trunks[0] = 0;
      } else if (given) { trunks = new Uint8Array(4096); for (const v of given) trunks[v] = 1; }
      break;
  }
  return { mode, vlan, trunks };
}

function trunksVlan(p: PortVlan, vlan: number): boolean {
  return p.mode !== 'access' && (p.trunks === null || p.trunks[vlan] === 1);
}

/** Whether a frame carrying 802.1Q VID `vid` (0 = untagged or priority-tagged) may enter `p`;
 *  returns undefined when it may, else OVS's reason for dropping it. */
export function inputVidRejection(p: PortVlan, vid: number, portName: string): string | undefined {
  switch (p.mode) {
    case 'access':
      return vid ? `dropping VLAN ${vid} tagged packet received on port ${portName} configured as VLAN ${p.vlan} access port` : undefined;
    case 'native-tagged': case 'native-untagged': case 'trunk':
      // A native port always carries its native VLAN untagged.
      if (!vid && p.mode !== 'trunk') return undefined;
      return trunksVlan(p, vid) ? undefined
        : `dropping VLAN ${vid} packet received on port ${portName} not configured for trunking VLAN ${vid}`;
  }
}

/** The bridge-internal VLAN of a frame with VID `vid` that entered `p`. */
export function inputVidToVlan(p: PortVlan, vid: number): number {
  switch (p.mode) {
    case 'access': return p.vlan;
    case 'native-tagged': case 'native-untagged': return vid || p.vlan;
    case 'trunk': return vid;
  }
}

export function portIncludesVlan(p: PortVlan, vlan: number): boolean {
  return trunksVlan(p, vlan) || p.vlan === vlan;
}

/** The VID a frame in `vlan` leaves `p` with (0 = untagged). */
export function outputVid(p: PortVlan, vlan: number): number {
  if (p.mode === 'access' || (p.mode === 'native-untagged' && vlan === p.vlan)) return 0;
  return vlan;
}

// ---------------------------------------------------------------------------------- MAC learning

export interface MacEntry {
  vlan: number;
  mac: bigint;
  /** OpenFlow port number the MAC was last seen on. */
  port: number;
  /** ms timestamp of the last packet that (re)learned it. */
  updated: number;
  /** ms timestamp until which a gratuitous ARP holds the entry (bond reflection guard). */
  gratArpLockUntil: number;
}

export type LearnResult = 'new' | 'moved' | 'refreshed' | 'not-learnable' | 'locked';

export interface MacTableOptions { idleTimeS?: number; maxEntries?: number; now?: () => number }

export const MAC_DEFAULT_IDLE_S = 300;
export const MAC_DEFAULT_MAX = 8192;
const GRAT_ARP_LOCK_MS = 5000;

/** A bridge's learning table. `generation` changes whenever forwarding may change (a MAC is
 *  learnt, moves, expires or is flushed), which is what revalidation keys on. */
export class MacLearningTable {
  idleTimeS: number;
  maxEntries: number;
  private readonly now: () => number;
  /** Key `${vlan}/${mac}`; Map order is LRU order (oldest first). */
  private readonly entries = new Map<string, MacEntry>();
  generation = 0;

  constructor(opts: MacTableOptions = {}) {
    this.idleTimeS = opts.idleTimeS ?? MAC_DEFAULT_IDLE_S;
    this.maxEntries = opts.maxEntries ?? MAC_DEFAULT_MAX;
    this.now = opts.now ?? Date.now;
  }

  private static key(vlan: number, mac: bigint): string { return `${vlan}/${mac.toString(16)}`; }

  get size(): number { return this.entries.size; }

  private expired(e: MacEntry, now: number): boolean { return now - e.updated >= this.idleTimeS * 1000; }

  lookup(mac: bigint, vlan: number): MacEntry | undefined {
    const e = this.entries.get(MacLearningTable.key(vlan, mac));
    if (!e || this.expired(e, this.now())) return undefined;
    return e;
  }

  /** Learns that `mac` in `vlan` is behind `port`. `bondLike` ports honour the gratuitous-ARP lock
   *  (OVS applies it to bonds only). */
  learn(mac: bigint, vlan: number, port: number, opts: { gratuitousArp?: boolean; bondLike?: boolean } = {}): LearnResult {
    if (isMulticastMac(mac)) return 'not-learnable';
    const now = this.now();
    const k = MacLearningTable.key(vlan, mac);
    let e = this.entries.get(k);
    if (e && this.expired(e, now)) { this.entries.delete(k); this.generation++; e = undefined; }
    if (!e) {
      while (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next().value as string;
        this.entries.delete(oldest);
      }
      e = { vlan, mac, port, updated: now, gratArpLockUntil: opts.gratuitousArp && !opts.bondLike ? now + GRAT_ARP_LOCK_MS : 0 };
      this.entries.set(k, e);
      this.generation++;
      return 'new';
    }
    if (opts.gratuitousArp) {
      if (!opts.bondLike) e.gratArpLockUntil = now + GRAT_ARP_LOCK_MS;
      else if (e.gratArpLockUntil > now) return 'locked';
    }
    this.entries.delete(k);
    this.entries.set(k, e);  // most recently used goes last
    e.updated = now;
    if (e.port !== port) {
      e.port = port;
      this.generation++;
      return 'moved';
    }
    return 'refreshed';
  }

  /** Drops entries idle for longer than the ageing time; returns them. */
  expire(): MacEntry[] {
    const now = this.now();
    const gone: MacEntry[] = [];
    for (const [k, e] of this.entries) {
      if (this.expired(e, now)) { this.entries.delete(k); gone.push(e); }
    }
    if (gone.length) this.generation++;
    return gone;
  }

  flush(): number {
    const n = this.entries.size;
    this.entries.clear();
    this.generation++;
    return n;
  }

  /** Forgets every MAC learnt on `port` (port removed or reconfigured). */
  flushPort(port: number): number {
    let n = 0;
    for (const [k, e] of this.entries) if (e.port === port) { this.entries.delete(k); n++; }
    if (n) this.generation++;
    return n;
  }

  /** Live entries, least recently used first. */
  list(): MacEntry[] {
    const now = this.now();
    return [...this.entries.values()].filter((e) => !this.expired(e, now));
  }

  /** `ovs-appctl fdb/show BRIDGE` text; `portName` maps an OpenFlow port to what OVS prints
   *  (the number, or LOCAL). */
  show(portName: (port: number) => string): string {
    const now = this.now();
    let s = ' port  VLAN  MAC                Age\n';
    for (const e of this.list()) {
      const age = Math.floor((now - e.updated) / 1000);
      s += `${portName(e.port).padStart(5)}  ${String(e.vlan).padStart(4)}  ${bigToMac(e.mac)}  ${String(age).padStart(3)}\n`;
    }
    return s;
  }
}
