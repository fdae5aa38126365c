// One OpenFlow bridge of the pipeline: its ports (with VLAN and patch settings), its 255 flow
// tables with OpenFlow 1.0 flow-mod semantics as ovs-ofctl drives them (add, mod-flows and
// del-flows, strict and not), flow stats and timeouts, and its MAC learning table.
import { OvsError, InvalidInputError } from '../util/errors.js';
import { OFPP, formatPort } from './fields.js';
import { Classifier } from './classifier.js';
import { Match, matchIsSubsetOf, cloneMatch } from './match.js';
import type { OfAction } from './actions.js';
import {
  FlowMod, FlowModCommand, FlowModFlags, parseFlowMod, formatFlowStats, DEFAULT_PRIORITY,
} from './flow-syntax.js';
import type { TunnelConfig } from './tunnel.js';
import { MacLearningTable, MacTableOptions, PortVlan, PortVlanConfig, VlanMode, resolvePortVlan } from './normal.js';
import { MirrorSet, type MirrorSpec } from './mirror.js';
import { BondState, type BondConfig } from './bond.js';

export const N_TABLES = 255;
/** OVS keeps its last table for internal flows; OpenFlow writes to it fail. */
export const INTERNAL_TABLE = 254;

/** A flow-mod the switch refuses (OpenFlow error), e.g. check_overlap found an overlap. */
export class FlowModError extends OvsError {
  constructor(readonly ofError: string, message: string) { super('OVS_E_FLOW_MOD', message); }
}

/** A port as the pipeline needs it (from the Port/Interface rows and the datapath). */
export interface PortSpec {
  name: string;
  /** OpenFlow port number; 65534 (LOCAL) for the bridge's own internal port. */
  ofport: number;
  /** Datapath port number; absent for patch ports. */
  odpPort?: number;
  tag?: number;
  trunks?: readonly number[];
  vlanMode?: VlanMode;
  /** For a patch port: the name of its peer patch port (in another bridge). */
  patchPeer?: string;
  /** Administratively up (default true); down ports neither receive from nor send to NORMAL/output. */
  adminUp?: boolean;
  /** OpenFlow no-flood: excluded from FLOOD and NORMAL flooding. */
  noFlood?: boolean;
  /** A tunnel port (vxlan/geneve): its configuration; `odpPort` is the shared tunnel vport. */
  tunnel?: TunnelConfig;
  /** A bond member: the name of its bond (Port); NORMAL treats all members as one port. */
  bond?: string;
}

export interface BridgePort extends PortSpec {
  vlan: PortVlan;
  adminUp: boolean;
  noFlood: boolean;
}

export interface FlowRule {
  table: number;
  priority: number;
  match: Match;
  actions: OfAction[];
  cookie: bigint;
  idleTimeout: number;
  hardTimeout: number;
  importance: number;
  flags: FlowModFlags;
  /** ms timestamps */
  created: number;
  modified: number;
  used: number;
  nPackets: bigint;
  nBytes: bigint;
}

export interface BridgeOptions extends MacTableOptions {
  /** Clock in ms (tests inject one). */
  now?: () => number;
  /** Install `priority=0,actions=NORMAL` as OVS does for a bridge in standalone fail mode (default true). */
  defaultNormalFlow?: boolean;
}

export interface FlowModResult { added: number; modified: number; deleted: number }

export class Bridge {
  readonly name: string;
  readonly ports = new Map<number, BridgePort>();
  readonly tables: Classifier<FlowRule>[] = [];
  readonly mac: MacLearningTable;
  /** Port mirrors (Mirror table rows of this bridge). */
  readonly mirrors = new MirrorSet();
  /** sFlow sampling: the datapath `sample` probability (out of 2^32-1; 0 = off). */
  sflowProbability = 0;
  /** Bonds by Port name (their members are ports with `bond` set). */
  readonly bonds = new Map<string, BondState>();
  private retiredBondGeneration = 0;
  private bondIds?: Map<string, number>;
  /** Packets sent to CONTROLLER (no controller connection exists; they are counted and dropped). */
  controllerPackets = 0n;
  /** Bumped on any change of ports or flow tables (the MAC table has its own). */
  generation = 0;
  private readonly now: () => number;
  private readonly onChange: () => void;

  constructor(name: string, opts: BridgeOptions = {}, onChange: () => void = () => {}) {
    this.name = name;
    this.now = opts.now ?? Date.now;
    this.mac = new MacLearningTable({ ...opts, now: this.now });
    this.onChange = onChange;
    for (let i = 0; i < N_TABLES; i++) this.tables.push(new Classifier<FlowRule>());
    if (opts.defaultNormalFlow !== false) this.applyFlowMod(parseFlowMod('priority=0,actions=NORMAL'));
  }

  private changed(): void { this.generation++; this.bondIds = undefined; this.onChange(); }

  /** NetFlow export is on: IPv4 megaflows match the NetFlow key (addresses, protocol, DSCP, ports). */
  netflowEnabled = false;

  setNetflow(on: boolean): void {
    if (on === this.netflowEnabled) return;
    this.netflowEnabled = on;
    this.changed();
  }

  /** Bridge IPFIX sampling probability (out of 2^32-1; 0 = off). */
  ipfixProbability = 0;

  /** Some Flow_Sample_Collector_Set with IPFIX targets names this bridge: OpenFlow `sample`
   *  actions are translated (with bridge IPFIX alone too, as OVS: they need the bridge's IPFIX). */
  flowSampling = false;

  setFlowSampling(on: boolean): void {
    if (on === this.flowSampling) return;
    this.flowSampling = on;
    this.changed();
  }

  /** Turns bridge IPFIX sampling on (1 in `rate` packets) or off (0). */
  setIpfixSampling(rate: number): void {
    if (!Number.isInteger(rate) || rate < 0) throw new InvalidInputError(`IPFIX sampling rate ${rate} is not a non-negative integer`);
    const p = rate === 0 ? 0 : Math.max(1, Math.floor(0xffffffff / rate));
    if (p === this.ipfixProbability) return;
    this.ipfixProbability = p;
    this.changed();
  }

  /** Turns sFlow sampling on (1 in `rate` packets) or off (0). */
  setSflowSampling(rate: number): void {
    if (!Number.isInteger(rate) || rate < 0) throw new InvalidInputError(`sFlow sampling rate ${rate} is not a non-negative integer`);
    const p = rate === 0 ? 0 : Math.max(1, Math.floor(0xffffffff / rate));
    if (p === this.sflowProbability) return;
    this.sflowProbability = p;
    this.changed();
  }

  // ---------------------------------------------------------------- bonds

  /** Creates or reconfigures bond `name` (its members must be added as ports with `bond: name`). */
  setBond(name: string, cfg: BondConfig): BondState {
    let b = this.bonds.get(name);
    if (!b) {
      b = new BondState(name, cfg);
      this.bonds.set(name, b);
      this.changed();
    } else {
      const g = b.generation;
      b.configure(cfg);
      if (b.generation !== g) this.changed();
    }
    return b;
  }

  removeBond(name: string): void {
    const b = this.bonds.get(name);
    if (!b) return;
    this.retiredBondGeneration += b.generation + 1;
    this.bonds.delete(name);
    this.changed();
  }

  /** Changes whenever a bond's member states change (translation may differ). */
  get bondsGeneration(): number {
    let g = this.retiredBondGeneration;
    for (const b of this.bonds.values()) g += b.generation;
    return g;
  }

  /** The port number NORMAL learns a bond's MACs on: its lowest member ofport. */
  bondId(name: string): number {
    if (!this.bondIds) {
      const ids = new Map<string, number>();
      for (const p of this.ports.values()) if (p.bond !== undefined) ids.set(p.bond, Math.min(ids.get(p.bond) ?? Infinity, p.ofport));
      this.bondIds = ids;
    }
    return this.bondIds.get(name) ?? -1;
  }

  /** NORMAL's identity of a port: its bond's id for bond members, else its ofport. */
  bundleId(p: BridgePort): number { return p.bond !== undefined ? this.bondId(p.bond) : p.ofport; }

  // ---------------------------------------------------------------- ports

  addPort(spec: PortSpec): BridgePort {
    if (!Number.isInteger(spec.ofport) || spec.ofport < 1 || (spec.ofport >= OFPP.MAX && spec.ofport !== OFPP.LOCAL)) {
      throw new InvalidInputError(`port ${spec.name}: OpenFlow port number ${spec.ofport} is out of range (1..65279 or 65534)`);
    }
    const clash = this.ports.get(spec.ofport);
    if (clash && clash.name !== spec.name) throw new InvalidInputError(`port ${spec.name}: OpenFlow port ${spec.ofport} is already used by ${clash.name}`);
    for (const p of this.ports.values()) {
      if (p.name === spec.name && p.ofport !== spec.ofport) this.ports.delete(p.ofport);
    }
    const port: BridgePort = { ...spec, vlan: resolvePortVlan(spec as PortVlanConfig), adminUp: spec.adminUp ?? true, noFlood: spec.noFlood ?? false };
    this.ports.set(spec.ofport, port);
    this.mac.flushPort(spec.ofport);
    this.changed();
    return port;
  }

  /** Replaces a port's settings (VLAN, admin state...); MACs learnt on it are forgotten when its
   *  VLAN settings change, as OVS does on bundle reconfiguration. */
  updatePort(name: string, changes: Partial<Omit<PortSpec, 'name'>>): BridgePort {
    const old = this.portByName(name);
    if (!old) throw new InvalidInputError(`bridge ${this.name} has no port named ${name}`);
    const { vlan: _v, ...rest } = old;
    void _v;
    this.ports.delete(old.ofport);
    try {
      return this.addPort({ ...rest, ...changes, name });
    } catch (e) {
      this.ports.set(old.ofport, old);
      throw e;
    }
  }

  removePort(name: string): boolean {
    const p = this.portByName(name);
    if (!p) return false;
    this.ports.delete(p.ofport);
    this.mac.flushPort(p.ofport);
    this.changed();
    return true;
  }

  portByName(name: string): BridgePort | undefined {
    for (const p of this.ports.values()) if (p.name === name) return p;
    return undefined;
  }

  /** Replaces the bridge's mirrors (port names are pipeline port names); returns what OVS would
   *  log for mirrors it cannot create. Translation changes, so installed megaflows revalidate. */
  setMirrors(specs: readonly MirrorSpec[]): string[] {
    const r = this.mirrors.configure(specs);
    if (r.changed) this.changed();
    return r.warnings;
  }

  // ---------------------------------------------------------------- flow tables

  /** `ovs-ofctl add-flow/mod-flows/del-flows` text. */
  addFlow(text: string): FlowModResult { return this.applyFlowMod(parseFlowMod(text, 'add')); }
  modFlows(text: string, strict = false): FlowModResult { return this.applyFlowMod(parseFlowMod(text, strict ? 'modify_strict' : 'modify')); }
  delFlows(text = '', strict = false): FlowModResult { return this.applyFlowMod(parseFlowMod(text, strict ? 'delete_strict' : 'delete')); }

  applyFlowMod(fm: FlowMod): FlowModResult {
    const res: FlowModResult = { added: 0, modified: 0, deleted: 0 };
    const now = this.now();
    if (fm.table === INTERNAL_TABLE && fm.command !== 'delete' && fm.command !== 'delete_strict') {
      throw new FlowModError('OFPBRC_EPERM', `table ${INTERNAL_TABLE} is read-only (OFPBRC_EPERM)`);
    }
    switch (fm.command) {
      case 'add': {
        const table = fm.table === 255 ? 0 : fm.table;
        const cls = this.tables[table]!;
        const old = cls.findExact(fm.match, fm.priority);
        // An identical flow is replaced; check_overlap only looks at other flows.
        if (!old && fm.flags.checkOverlap) {
          for (const r of cls.rules()) {
            if (r.priority === fm.priority && overlaps(r.match, fm.match)) {
              throw new FlowModError('OFPFMFC_OVERLAP', `flow overlaps an existing flow in table ${table} (OFPFMFC_OVERLAP)`);
            }
          }
        }
        if (old) { cls.remove(old); res.deleted++; }
        cls.insert(this.newRule(fm, table, now));
        res.added++;
        break;
      }
      case 'modify': case 'modify_strict': {
        const hits = this.select(fm);
        for (const r of hits) {
          r.actions = fm.actions;
          // OpenFlow 1.0 modify carries the new cookie (0 unless given) when it does not select by cookie.
          if (fm.cookieMask === 0n) r.cookie = fm.newCookie ?? 0n;
          r.modified = now;
          if (fm.flags.resetCounts) { r.nPackets = 0n; r.nBytes = 0n; }
          res.modified++;
        }
        // OpenFlow 1.0: a modify that matches nothing adds the flow (unless it selects by cookie).
        if (hits.length === 0 && fm.cookieMask === 0n) {
          const table = fm.table === 255 ? 0 : fm.table;
          this.tables[table]!.insert(this.newRule(fm, table, now));
          res.added++;
        }
        break;
      }
      case 'delete': case 'delete_strict': {
        for (const r of this.select(fm)) { this.tables[r.table]!.remove(r); res.deleted++; }
        break;
      }
    }
    if (res.added || res.modified || res.deleted) this.changed();
    return res;
  }

  private newRule(fm: FlowMod, table: number, now: number): FlowRule {
    return {
      table, priority: fm.priority, match: cloneMatch(fm.match), actions: fm.actions, cookie: fm.newCookie ?? 0n,
      idleTimeout: fm.idleTimeout, hardTimeout: fm.hardTimeout, importance: fm.importance, flags: { ...fm.flags },
      created: now, modified: now, used: now, nPackets: 0n, nBytes: 0n,
    };
  }

  /** Rules a modify/delete (or a dump-flows filter) selects. */
  select(fm: Pick<FlowMod, 'command' | 'table' | 'match' | 'priority' | 'cookie' | 'cookieMask' | 'outPort'>): FlowRule[] {
    const strict = fm.command === 'modify_strict' || fm.command === 'delete_strict';
    const tables = fm.table === 255 ? this.tables.map((_, i) => i) : [fm.table];
    const out: FlowRule[] = [];
    for (const t of tables) {
      const cls = this.tables[t]!;
      const cands = strict ? [cls.findExact(fm.match, fm.priority)].filter((r): r is FlowRule => r !== undefined) : [...cls.rules()];
      for (const r of cands) {
        if (!strict && !matchIsSubsetOf(r.match, fm.match)) continue;
        if ((r.cookie & fm.cookieMask) !== (fm.cookie & fm.cookieMask)) continue;
        if (fm.outPort !== OFPP.NONE && !r.actions.some((a) => a.type === 'output' && a.port === fm.outPort)) continue;
        out.push(r);
      }
    }
    return out;
  }

  /** Every rule, in dump order (table, then descending priority). */
  allRules(): FlowRule[] {
    const out: FlowRule[] = [];
    this.tables.forEach((cls) => {
      const rs = [...cls.rules()].sort((a, b) => b.priority - a.priority);
      out.push(...rs);
    });
    return out;
  }

  /** `ovs-ofctl dump-flows BRIDGE [FLOW]` lines (without the reply header). */
  dumpFlows(filter = '', opts: { showStats?: boolean } = {}): string[] {
    const fm = parseFlowMod(filter, 'delete');
    const now = this.now();
    const rules = filter.trim() === '' ? this.allRules() : this.select(fm).sort((a, b) => a.table - b.table || b.priority - a.priority);
    return rules.map((r) => formatFlowStats({
      table: r.table, priority: r.priority, cookie: r.cookie, match: r.match, actions: r.actions,
      idleTimeout: r.idleTimeout, hardTimeout: r.hardTimeout, importance: r.importance, flags: r.flags,
      durationMs: now - r.created, nPackets: r.nPackets, nBytes: r.nBytes,
      idleAgeS: Math.floor((now - r.used) / 1000), hardAgeS: Math.floor((now - r.modified) / 1000),
    }, opts.showStats ?? true));
  }

  /** Removes flows whose idle or hard timeout passed; returns them. */
  expireFlows(): FlowRule[] {
    const now = this.now();
    const gone: FlowRule[] = [];
    for (const cls of this.tables) {
      for (const r of [...cls.rules()]) {
        if ((r.hardTimeout && now - r.modified >= r.hardTimeout * 1000) || (r.idleTimeout && now - r.used >= r.idleTimeout * 1000)) {
          cls.remove(r);
          gone.push(r);
        }
      }
    }
    if (gone.length) this.changed();
    return gone;
  }

  /** Credits a rule with traffic (from an upcall or from datapath flow stats). */
  creditRule(r: FlowRule, packets: bigint, bytes: bigint): void {
    r.nPackets += packets;
    r.nBytes += bytes;
    if (packets > 0n) r.used = this.now();
  }

  fdbShow(): string { return this.mac.show((p) => formatPort(p)); }
  fdbFlush(): string { this.mac.flush(); this.onChange(); return 'table successfully flushed'; }

  get flowCount(): number { return this.tables.reduce((n, c) => n + c.size, 0); }
  static readonly DEFAULT_PRIORITY = DEFAULT_PRIORITY;
  static commands: readonly FlowModCommand[] = ['add', 'modify', 'modify_strict', 'delete', 'delete_strict'];
}

/** Two matches overlap when some packet could match both. */
function overlaps(a: Match, b: Match): boolean {
  for (let i = 0; i < a.mask.length; i++) {
    const common = a.mask[i]! & b.mask[i]!;
    if ((a.value[i]! & common) !== (b.value[i]! & common)) return false;
  }
  return true;
}
