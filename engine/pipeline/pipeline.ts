// The pipeline facade (ovs-vswitchd's ofproto-dpif "backer"): the bridges sharing one datapath,
// translation of upcalls into megaflows, and revalidation of installed megaflows when flow
// tables, ports or learnt MACs change.
import type { OdpAction, OdpFlowKey, OdpTunnelKey } from '../channel/odp-types.js';
import { findTunnelPort, type TunnelConfig } from './tunnel.js';
import { InvalidInputError } from '../util/errors.js';
import { Bridge, BridgeOptions, BridgePort } from './bridge.js';
import { translate, XlateEnv, XlateResult } from './xlate.js';

export interface Upcall {
  /** The packet's flow key; `key.inPort` is the datapath input port. */
  key: OdpFlowKey;
  /** Packet length in bytes, credited to the rules it hits. */
  packetLen?: number;
}

/** A megaflow installed in the datapath, as the caller remembers it. */
export interface InstalledFlow {
  key: OdpFlowKey;
  mask: OdpFlowKey;
  actions: OdpAction[];
  /** Traffic the datapath counted for this flow since the last revalidation. */
  statsDelta?: { packets: bigint; bytes: bigint };
}

export type RevalidateVerdict =
  | { op: 'keep' }
  | { op: 'modify'; actions: OdpAction[] }
  | { op: 'delete'; reason: string };

export interface TranslateOptions { trace?: boolean; sideEffects?: boolean }

export class Pipeline implements XlateEnv {
  private readonly bridges = new Map<string, Bridge>();
  private readonly opts: BridgeOptions;
  private ownGeneration = 0;

  constructor(opts: BridgeOptions = {}) { this.opts = opts; }

  addBridge(name: string, opts: BridgeOptions = {}): Bridge {
    if (this.bridges.has(name)) throw new InvalidInputError(`bridge ${name} already exists`);
    const br = new Bridge(name, { ...this.opts, ...opts }, () => { this.ownGeneration++; });
    this.bridges.set(name, br);
    this.ownGeneration++;
    return br;
  }

  removeBridge(name: string): boolean {
    const ok = this.bridges.delete(name);
    if (ok) this.ownGeneration++;
    return ok;
  }

  bridge(name: string): Bridge {
    const br = this.bridges.get(name);
    if (!br) throw new InvalidInputError(`no bridge named ${name}`);
    return br;
  }

  hasBridge(name: string): boolean { return this.bridges.has(name); }
  bridgeNames(): string[] { return [...this.bridges.keys()].sort(); }

  /** Changes whenever any translation may change: flow tables, ports, learnt MACs. A caller that
   *  remembers the generation its megaflows were built at needs to revalidate when it differs. */
  get generation(): number {
    let g = this.ownGeneration;
    for (const br of this.bridges.values()) g += br.mac.generation + br.bondsGeneration;
    return g;
  }

  portOfOdp(odpPort: number): { bridge: Bridge; port: BridgePort } | undefined {
    for (const bridge of this.bridges.values()) {
      for (const port of bridge.ports.values()) if (port.odpPort === odpPort && !port.tunnel) return { bridge, port };
    }
    return undefined;
  }

  /** The tunnel port a packet received on tunnel vport `odpPort` with metadata `t` belongs to. */
  tunnelPortOf(odpPort: number, t: OdpTunnelKey): { bridge: Bridge; port: BridgePort } | undefined {
    const cands: Array<{ bridge: Bridge; port: BridgePort; config: TunnelConfig; odpPort?: number }> = [];
    for (const bridge of this.bridges.values()) {
      for (const port of bridge.ports.values()) if (port.tunnel) cands.push({ bridge, port, config: port.tunnel, odpPort: port.odpPort });
    }
    const hit = findTunnelPort(cands, odpPort, t);
    return hit ? { bridge: hit.bridge, port: hit.port } : undefined;
  }

  portByName(name: string): { bridge: Bridge; port: BridgePort } | undefined {
    for (const bridge of this.bridges.values()) {
      const port = bridge.portByName(name);
      if (port) return { bridge, port };
    }
    return undefined;
  }

  /** Translates a miss upcall: MAC learning and rule counters take effect. Install
   *  `{ key: upcall.key, mask: result.mask, actions: result.actions }` in the datapath. */
  translate(upcall: Upcall, opts: TranslateOptions = {}): XlateResult {
    return translate(this, { key: upcall.key, packetLen: upcall.packetLen, sideEffects: opts.sideEffects, trace: opts.trace });
  }

  /**
   * Revalidates installed megaflows (OVS's revalidator): each is re-translated from its key;
   * datapath stats since the last pass are credited to the rules and refresh MAC learning (as
   * OVS does when a flow saw packets). A flow whose mask would change must be deleted (the
   * next miss installs the new one); one whose actions changed is modified in place.
   */
  revalidate(flows: readonly InstalledFlow[]): RevalidateVerdict[] {
    return flows.map((fl) => {
      const st = fl.statsDelta;
      const active = st !== undefined && st.packets > 0n;
      const r = translate(this, { key: fl.key, stats: active ? st : undefined, sideEffects: active });
      if (r.error) return { op: 'delete', reason: r.error };
      if (!sameJson(r.mask, fl.mask)) return { op: 'delete', reason: 'megaflow mask changed' };
      if (!sameJson(r.actions, fl.actions)) return { op: 'modify', actions: r.actions };
      return { op: 'keep' };
    });
  }

  /** Periodic work: expires flows past their timeouts and MACs past their ageing time. */
  run(): { expiredFlows: number; expiredMacs: number } {
    let expiredFlows = 0, expiredMacs = 0;
    for (const br of this.bridges.values()) {
      expiredFlows += br.expireFlows().length;
      expiredMacs += br.mac.expire().length;
    }
    return { expiredFlows, expiredMacs };
  }
}

/** Whether two translation results (masks, action lists) are the same: arrays element by element,
 *  objects by their defined keys in any order, bytes by content, bigints by value. (Serialising
 *  both to JSON text was most of a revalidation pass's time.) */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && Buffer.compare(a, b) === 0;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>, y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    n++;
    if (!sameJson(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) n--;
  return n === 0;
}
