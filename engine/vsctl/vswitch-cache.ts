// ovs-vsctl's view of bridges, ports and interfaces (including VLAN "fake" bridges), built from
// Open_vSwitch.bridges -> Bridge.ports -> Port.interfaces, with the same duplicate handling.
import type { RowJson } from '../ovsdb/api.js';
import type { Ctx } from './context.js';
import type { Replica, VRow } from './replica.js';
import { conflict, notFound, failed } from './errors.js';

export interface VBridge {
  brCfg?: VRow;
  name: string;
  ports: VPort[];
  parent?: VBridge;
  vlan: number;
  children: Map<number, VBridge>;
}
export interface VPort {
  portCfg: VRow;
  bridge: VBridge;
  ifaces: VIface[];
}
export interface VIface {
  ifaceCfg: VRow;
  port: VPort;
}

export function strCol(r: Replica, row: VRow, col: string): string {
  const d = r.read(row, col);
  return d.keys.length ? String(d.keys[0]) : '';
}
export function refs(r: Replica, row: VRow, col: string, table: string): VRow[] {
  const out: VRow[] = [];
  for (const u of r.read(row, col).keys) {
    const x = r.get(table, u as string);
    if (x) out.push(x);
  }
  return out;
}
function tagOf(r: Replica, port: VRow): number | undefined {
  const d = r.read(port, 'tag');
  if (!d.keys.length) return undefined;
  const t = d.keys[0] as number;
  return t >= 0 && t <= 4095 ? t : undefined;
}
interface PortInfo { name: string; tag: number | undefined; fake: boolean }

/** What the cache reads of a row, kept per row object as read from the server while this
 *  transaction has not written the row: a client that hands out the same object for an unchanged
 *  row (the engine's MirrorClient) gets each row's facts worked out once, not once per build. */
const portFacts = new WeakMap<RowJson, PortInfo>();
const nameFacts = new WeakMap<RowJson, string>();

function unwritten(row: VRow): RowJson | undefined {
  return row.cur === undefined ? row.raw : undefined;
}

function nameOf(r: Replica, row: VRow): string {
  const raw = unwritten(row);
  if (!raw) return strCol(r, row, 'name');
  let n = nameFacts.get(raw);
  if (n === undefined) nameFacts.set(raw, (n = strCol(r, row, 'name')));
  return n;
}

export class VswitchCache {
  readonly bridges = new Map<string, VBridge>();
  readonly ports = new Map<string, VPort>();
  readonly ifaces = new Map<string, VIface>();
  private readonly ctx: Ctx;

  constructor(ctx: Ctx) {
    this.ctx = ctx;
    const r = ctx.replica;
    // Each port's name, tag and fake-bridge flag are read once per build (both passes use them).
    const portInfo = new Map<VRow, PortInfo>();
    const info = (p: VRow): PortInfo => {
      const raw = unwritten(p);
      let x = raw ? portFacts.get(raw) : portInfo.get(p);
      if (!x) {
        const tag = tagOf(r, p);
        x = { name: strCol(r, p, 'name'), tag, fake: tag !== undefined && r.read(p, 'fake_bridge').keys[0] === true };
        if (raw) portFacts.set(raw, x); else portInfo.set(p, x);
      }
      return x;
    };
    const brs = refs(r, ctx.ovs, 'bridges', 'Bridge');
    const brNames = brs.map((b) => nameOf(r, b));
    // Each bridge's ports and their facts, read once for both passes.
    const brPorts = brs.map((b) => refs(r, b, 'ports', 'Port'));
    const brPortInfo = brPorts.map((ps) => ps.map(info));
    const seenBr = new Set<string>();
    const seenPort = new Set<string>();
    brs.forEach((brCfg, bi) => {
      const name = brNames[bi] as string;
      if (seenBr.has(name)) {
        ctx.s.warn('vsctl', `${name}: database contains duplicate bridge name`);
        return;
      }
      seenBr.add(name);
      const br = this.addBridge(brCfg, name, undefined, 0);
      for (const pi of brPortInfo[bi] as PortInfo[]) {
        if (seenPort.has(pi.name)) continue;
        seenPort.add(pi.name);
        if (pi.fake && !seenBr.has(pi.name)) {
          seenBr.add(pi.name);
          this.addBridge(undefined, pi.name, br, pi.tag as number);
        }
      }
    });
    const seen2 = new Set<string>();
    brs.forEach((_brCfg, bi) => {
      const bname = brNames[bi] as string;
      if (seen2.has(bname)) return;
      seen2.add(bname);
      const br = this.bridges.get(bname) as VBridge;
      const ports = brPorts[bi] as VRow[], infos = brPortInfo[bi] as PortInfo[];
      for (let pj = 0; pj < ports.length; pj++) {
        const p = ports[pj] as VRow, pi = infos[pj] as PortInfo;
        const pname = pi.name;
        const existing = this.ports.get(pname);
        if (existing) {
          if (existing.portCfg === p) ctx.s.warn('vsctl', `${pname}: port is in multiple bridges (${br.name} and ${existing.bridge.name})`);
          else ctx.s.warn('vsctl', `${pname}: database contains duplicate port name`, 'ERR');
          continue;
        }
        if (pi.fake && seen2.has(pname)) continue;
        if (pi.fake) seen2.add(pname);
        const port = this.placePort(br, p, pname, pi.tag);
        for (const i of refs(r, p, 'interfaces', 'Interface')) {
          const iname = nameOf(r, i);
          const ex = this.ifaces.get(iname);
          if (ex) {
            if (ex.ifaceCfg === i) ctx.s.warn('vsctl', `${iname}: interface is in multiple ports (${ex.port.portCfg && strCol(r, ex.port.portCfg, 'name')} and ${pname})`);
            else ctx.s.warn('vsctl', `${iname}: database contains duplicate interface name`, 'ERR');
            continue;
          }
          this.placeIface(port, i, iname);
        }
      }
    });
  }

  addBridge(brCfg: VRow | undefined, name: string, parent: VBridge | undefined, vlan: number): VBridge {
    const br: VBridge = { name, ports: [], vlan, children: new Map() };
    if (brCfg) br.brCfg = brCfg;
    if (parent) {
      br.parent = parent;
      const c = parent.children.get(vlan);
      if (c) this.ctx.s.warn('vsctl', `${parent.name}: bridge has multiple VLAN bridges (${name} and ${c.name}) for VLAN ${vlan}, but only one is allowed`);
      else parent.children.set(vlan, br);
    }
    this.bridges.set(name, br);
    return br;
  }

  addPort(parent: VBridge, portCfg: VRow): VPort {
    return this.placePort(parent, portCfg, strCol(this.ctx.replica, portCfg, 'name'), tagOf(this.ctx.replica, portCfg));
  }

  addIface(port: VPort, ifaceCfg: VRow): VIface {
    return this.placeIface(port, ifaceCfg, strCol(this.ctx.replica, ifaceCfg, 'name'));
  }

  /** addPort with the port's name and tag already read. */
  private placePort(parent: VBridge, portCfg: VRow, name: string, tag: number | undefined): VPort {
    if (tag !== undefined) {
      const vb = parent.children.get(tag);
      if (vb) parent = vb;
    }
    const port: VPort = { portCfg, bridge: parent, ifaces: [] };
    parent.ports.push(port);
    this.ports.set(name, port);
    return port;
  }

  /** addIface with the interface's name already read. */
  private placeIface(port: VPort, ifaceCfg: VRow, name: string): VIface {
    const i: VIface = { ifaceCfg, port };
    port.ifaces.push(i);
    this.ifaces.set(name, i);
    return i;
  }
}

export function populateCache(ctx: Ctx): VswitchCache {
  if (!ctx.s.cache) ctx.s.cache = new VswitchCache(ctx);
  return ctx.s.cache;
}

export function verifyPorts(ctx: Ctx): void {
  if (ctx.verifiedPorts) return;
  ctx.replica.verifyAllPorts(ctx.ovs);
  ctx.verifiedPorts = true;
}

export function findBridge(ctx: Ctx, name: string, mustExist: boolean): VBridge | undefined {
  const c = populateCache(ctx);
  const br = c.bridges.get(name);
  if (mustExist && !br) throw notFound(`no bridge named ${name}`);
  ctx.replica.verify(ctx.ovs, 'bridges');
  return br;
}

export function findRealBridge(ctx: Ctx, name: string, mustExist: boolean): VBridge | undefined {
  const br = findBridge(ctx, name, mustExist);
  if (br && br.parent) throw failed(`${name} is a fake bridge`);
  return br;
}

export function findPort(ctx: Ctx, name: string, mustExist: boolean): VPort | undefined {
  const c = populateCache(ctx);
  let port = c.ports.get(name);
  if (port && name === port.bridge.name) port = undefined;
  if (mustExist && !port) throw notFound(`no port named ${name}`);
  verifyPorts(ctx);
  return port;
}

export function findIface(ctx: Ctx, name: string, mustExist: boolean): VIface | undefined {
  const c = populateCache(ctx);
  let iface = c.ifaces.get(name);
  if (iface && name === iface.port.bridge.name) iface = undefined;
  if (mustExist && !iface) throw notFound(`no interface named ${name}`);
  verifyPorts(ctx);
  return iface;
}

export function checkConflicts(ctx: Ctx, name: string, msg: string): void {
  const c = populateCache(ctx);
  verifyPorts(ctx);
  if (c.bridges.has(name)) throw conflict(`${msg} because a bridge named ${name} already exists`);
  const port = c.ports.get(name);
  if (port) throw conflict(`${msg} because a port named ${name} already exists on bridge ${port.bridge.name}`);
  const iface = c.ifaces.get(name);
  if (iface) throw conflict(`${msg} because an interface named ${name} already exists on bridge ${iface.port.bridge.name}`);
}
