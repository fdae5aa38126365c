// ovs-vsctl's view of bridges, ports and interfaces (including VLAN "fake" bridges), built from
// Open_vSwitch.bridges -> Bridge.ports -> Port.interfaces, with the same duplicate handling.
import type { RowJson } from '../ovsdb/api.js';
import { jsonEqual } from '../ovsdb/schema-canonical.js';
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
/** Whether rows `a` and `b` (as the server sent them) hold the same values in `columns` (a column
 *  missing from both counts as the same). */
function sameColumns(a: RowJson | undefined, b: RowJson | undefined, columns: readonly string[]): boolean {
  if (!a || !b) return false;
  for (const c of columns) {
    const x = a[c], y = b[c];
    if (x === undefined || y === undefined ? x !== y : !jsonEqual(x, y)) return false;
  }
  return true;
}

/** Files `item` under `newName` instead of `oldName` in `map` (a kept cache's name index); false
 *  when another entry already has `newName`. */
function rename<V>(map: Map<string, V>, item: V, oldName: string, newName: string): boolean {
  if (oldName === newName) return true;
  if (map.has(newName)) return false;
  if (map.get(oldName) === item) map.delete(oldName);
  map.set(newName, item);
  return true;
}

/** Whether `port` makes a VLAN (fake) bridge. */
function isFake(r: Replica, port: VRow): boolean {
  return tagOf(r, port) !== undefined && r.read(port, 'fake_bridge').keys[0] === true;
}

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

/** Where each row of a kept cache is (see VswitchCache.keep), by uuid, with the name it is under. */
interface CacheIndex {
  bridges: Map<string, VBridge>;
  ports: Map<string, { port: VPort; name: string }>;
  ifaces: Map<string, { iface: VIface; name: string }>;
}

export class VswitchCache {
  readonly bridges = new Map<string, VBridge>();
  readonly ports = new Map<string, VPort>();
  readonly ifaces = new Map<string, VIface>();
  private ctx: Ctx;
  /** Warnings the build gave, VLAN (fake) bridges made, and whether the Open_vSwitch row was
   *  this transaction's own: a cache with any of them is never kept across transactions. */
  private anomalies = 0;
  /** Set while the cache is kept across transactions: how to undo each change a command makes. */
  private journal?: Array<() => void>;
  private index?: CacheIndex;

  constructor(ctx: Ctx) {
    this.ctx = ctx;
    if (ctx.ovs.inserted) this.anomalies++;
    // Every warning of the build counts as an anomaly.
    const warn = (module: string, message: string, level?: 'WARN' | 'ERR'): void => { this.anomalies++; ctx.s.warn(module, message, level); };
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
        warn('vsctl', `${name}: database contains duplicate bridge name`);
        return;
      }
      seenBr.add(name);
      const br = this.addBridge(brCfg, name, undefined, 0);
      for (const pi of brPortInfo[bi] as PortInfo[]) {
        if (seenPort.has(pi.name)) continue;
        seenPort.add(pi.name);
        if (pi.fake && !seenBr.has(pi.name)) {
          seenBr.add(pi.name);
          this.anomalies++;
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
          if (existing.portCfg === p) warn('vsctl', `${pname}: port is in multiple bridges (${br.name} and ${existing.bridge.name})`);
          else warn('vsctl', `${pname}: database contains duplicate port name`, 'ERR');
          continue;
        }
        if (pi.fake && seen2.has(pname)) continue;
        if (pi.fake) seen2.add(pname);
        const port = this.placePort(br, p, pname, pi.tag);
        for (const i of refs(r, p, 'interfaces', 'Interface')) {
          const iname = nameOf(r, i);
          const ex = this.ifaces.get(iname);
          if (ex) {
            if (ex.ifaceCfg === i) warn('vsctl', `${iname}: interface is in multiple ports (${ex.port.portCfg && strCol(r, ex.port.portCfg, 'name')} and ${pname})`);
            else warn('vsctl', `${iname}: database contains duplicate interface name`, 'ERR');
            continue;
          }
          this.placeIface(port, i, iname);
        }
      }
    });
  }

  // ---- Kept across transactions (engine/vsctl/session.ts). A kept cache describes the rows the
  // server sent (no transaction's edits): commands change it through the methods below, which
  // note how to undo each change, and rollback() undoes them when the transaction ends. Commits
  // then reach it through update(), which rebuilds only the bridges whose rows changed.

  /** Whether this cache may be kept: its build warned of nothing (no duplicate names) and found
   *  no VLAN bridge, so each bridge's part is independent of the others'. */
  get keepable(): boolean {
    return this.anomalies === 0;
  }

  /** Starts keeping this cache: indexes its rows by uuid and journals changes from now on. */
  keep(): void {
    const index: CacheIndex = { bridges: new Map(), ports: new Map(), ifaces: new Map() };
    for (const br of this.bridges.values()) this.indexBridge(index, br);
    this.index = index;
    this.journal = [];
  }

  /** A kept cache (between transactions): the uuid of the bridge whose ports column holds port
   *  `uuid` (null: none), or undefined when this cache is not kept. As the views find it (the
   *  only bridge in Open_vSwitch.bridges listing it: a kept cache has no port on two bridges). */
  bridgeOfPort(uuid: string): string | null | undefined {
    if (!this.index) return undefined;
    const p = this.index.ports.get(uuid);
    if (!p) return null;
    const b = p.port.bridge;
    return (b.parent ?? b).brCfg?.uuid ?? null;
  }

  /** The transaction `ctx` runs in uses this kept cache now (its warnings go there). */
  attach(ctx: Ctx): void {
    this.ctx = ctx;
  }

  /** Undoes every change made since keep() or the last rollback(). */
  rollback(): void {
    const j = this.journal;
    if (!j) return;
    for (let i = j.length - 1; i >= 0; i--) (j[i] as () => void)();
    j.length = 0;
  }

  /** Brings a kept cache (rolled back) up to date with the replica after the rows in `changed`
   *  (table -> uuids) were replaced: the bridges they belong to (before and after) are taken out
   *  and placed again from their current rows. False when that cannot be done exactly as a full
   *  build would (a name now used twice, a VLAN bridge, the Open_vSwitch row gone or new): the
   *  caller then drops this cache. */
  update(r: Replica, ovs: VRow | undefined, changed: ReadonlyMap<string, ReadonlySet<string>>): boolean {
    const index = this.index, journal = this.journal;
    if (!index || !journal || journal.length || !ovs || ovs.inserted) return false;
    // The update is the new state, not a change to undo.
    this.journal = undefined;
    try {
      return this.reindex(r, ovs, index, changed);
    } finally {
      this.journal = journal;
    }
  }

  private reindex(r: Replica, ovs: VRow, index: CacheIndex, changed: ReadonlyMap<string, ReadonlySet<string>>): boolean {
    const rootOf = (b: VBridge): VBridge => b.parent ?? b;
    // Bridges to bring up to date: added to or removed from Open_vSwitch.bridges, or changed.
    const bridges = new Set<string>();
    // Which bridges are in Open_vSwitch.bridges now: those of the cache unless the column changed;
    // usually one bridge more or less, so the set of all of them is made only when some went.
    let current: Set<string> | undefined;
    const added = new Set<string>();
    if (changed.get('Open_vSwitch')?.size) {
      const keys = r.read(ovs, 'bridges').keys as string[];
      let kept = 0;
      for (const u of keys) if (index.bridges.has(u)) kept++; else added.add(u);
      if (kept !== index.bridges.size) {
        current = new Set(keys);
        for (const u of index.bridges.keys()) if (!current.has(u)) bridges.add(u);
      }
    }
    for (const u of added) bridges.add(u);
    const inSwitch = (u: string): boolean => (current ? current.has(u) : index.bridges.has(u) || added.has(u));
    for (const u of changed.get('Bridge') ?? []) bridges.add(u);
    const ports = new Set(changed.get('Port') ?? []);
    const ifaces = new Set(changed.get('Interface') ?? []);
    // A port or interface gone while its bridge did not change cannot be placed anew on its own.
    for (const u of ports) { const p = index.ports.get(u); if (p && !r.get('Port', u)) bridges.add(rootOf(p.port.bridge).brCfg!.uuid); }
    for (const u of ifaces) { const i = index.ifaces.get(u); if (i && !r.get('Interface', u)) ports.add(i.iface.port.portCfg.uuid); }
    if (bridges.size) {
      for (const u of bridges) {
        const old = index.bridges.get(u);
        if (old && !inSwitch(u)) this.dropBridge(index, old);
      }
      for (const u of bridges) if (inSwitch(u) && !this.syncBridge(r, index, u, ports, ifaces)) return false;
    }
    // Ports and interfaces changed on bridges that did not.
    for (const u of ports) {
      const p = index.ports.get(u);
      if (p && !this.syncPort(r, index, p.port, u, ifaces)) return false;
    }
    for (const u of ifaces) {
      const i = index.ifaces.get(u);
      if (i && !this.syncIface(r, index, i.iface, u)) return false;
    }
    return true;
  }

  /** Takes bridge `br`, its ports and their interfaces out of the cache. */
  private dropBridge(index: CacheIndex, br: VBridge): void {
    if (br.brCfg && index.bridges.get(br.brCfg.uuid) === br) index.bridges.delete(br.brCfg.uuid);
    if (this.bridges.get(br.name) === br) this.bridges.delete(br.name);
    for (const port of br.ports) this.dropPort(index, port);
  }

  private dropPort(index: CacheIndex, port: VPort): void {
    const pu = port.portCfg.uuid, p = index.ports.get(pu);
    if (p?.port !== port) return;
    index.ports.delete(pu);
    if (this.ports.get(p.name) === port) this.ports.delete(p.name);
    for (const iface of port.ifaces) this.dropIface(index, iface);
  }

  private dropIface(index: CacheIndex, iface: VIface): void {
    const iu = iface.ifaceCfg.uuid, i = index.ifaces.get(iu);
    if (i?.iface !== iface) return;
    index.ifaces.delete(iu);
    if (this.ifaces.get(i.name) === iface) this.ifaces.delete(i.name);
  }

  /** Bridge `u` (in Open_vSwitch.bridges) as its row is now: renamed, its ports list compared
   *  with the cache's (unchanged ports kept as they are, changed ones brought up to date). */
  private syncBridge(r: Replica, index: CacheIndex, u: string, changedPorts: Set<string>, changedIfaces: Set<string>): boolean {
    const brCfg = r.get('Bridge', u);
    let br = index.bridges.get(u);
    if (!brCfg) { if (br) this.dropBridge(index, br); return true; }
    // Another column changed (or none the cache is made of): the row is all there is to update.
    if (br?.brCfg && sameColumns(br.brCfg.raw, brCfg.raw, ['name', 'ports'])) { br.brCfg = brCfg; return true; }
    const name = nameOf(r, brCfg);
    if (!br) {
      if (this.bridges.has(name)) return false;
      br = this.addBridge(brCfg, name, undefined, 0);
      index.bridges.set(u, br);
    } else {
      br.brCfg = brCfg;
      if (!rename(this.bridges, br, br.name, name)) return false;
      br.name = name;
    }
    // The ports it still has stay as they are (a changed one is in `changedPorts`), in the
    // column's order; the others go, the new ones are placed.
    const keep: VPort[] = [];
    const fresh: VRow[] = [];
    for (const u of r.read(brCfg, 'ports').keys as string[]) {
      const e = index.ports.get(u);
      if (e && e.port.bridge === br) { keep.push(e.port); continue; }
      const p = r.get('Port', u);
      if (p) fresh.push(p);
    }
    if (keep.length !== br.ports.length) {
      // Out before in: a name leaving one port may be taken by a new one in the same commit.
      const stay = new Set(keep);
      for (const port of br.ports) if (!stay.has(port)) this.dropPort(index, port);
    }
    br.ports = keep;
    for (const p of fresh) {
      const pname = strCol(r, p, 'name');
      if (this.ports.has(pname) || index.ports.has(p.uuid) || isFake(r, p)) return false;
      const port = this.placePort(br, p, pname, undefined);
      index.ports.set(p.uuid, { port, name: pname });
      if (!this.placeNewIfaces(r, index, port, refs(r, p, 'interfaces', 'Interface'), changedIfaces)) return false;
      changedPorts.delete(p.uuid);
    }
    return true;
  }

  /** Port `u` (kept on its bridge) as its row is now: renamed, its interfaces compared. */
  private syncPort(r: Replica, index: CacheIndex, port: VPort, u: string, changedIfaces: Set<string>): boolean {
    const p = r.get('Port', u);
    if (!p) return false;
    const entry = index.ports.get(u)!;
    // Another column changed: the row is all there is to update (no VLAN bridge either, then).
    if (sameColumns(port.portCfg.raw, p.raw, ['name', 'interfaces', 'tag', 'fake_bridge'])) { port.portCfg = p; return true; }
    if (isFake(r, p)) return false;
    port.portCfg = p;
    const pname = strCol(r, p, 'name');
    if (!rename(this.ports, port, entry.name, pname)) return false;
    entry.name = pname;
    const had = new Map<string, VIface>();
    for (const i of port.ifaces) had.set(i.ifaceCfg.uuid, i);
    const keep: VIface[] = [];
    const fresh: VRow[] = [];
    for (const i of refs(r, p, 'interfaces', 'Interface')) {
      const iface = had.get(i.uuid);
      if (iface) {
        had.delete(i.uuid);
        keep.push(iface);
        if (iface.ifaceCfg !== i) changedIfaces.add(i.uuid);
      } else {
        fresh.push(i);
      }
    }
    for (const iface of had.values()) this.dropIface(index, iface);
    port.ifaces = keep;
    return this.placeNewIfaces(r, index, port, fresh, changedIfaces);
  }

  /** Places interfaces new to the kept cache on `port` (each then needs no sync of its own);
   *  false when one's name or row is already in the cache. */
  private placeNewIfaces(r: Replica, index: CacheIndex, port: VPort, rows: readonly VRow[], changedIfaces: Set<string>): boolean {
    for (const i of rows) {
      const iname = nameOf(r, i);
      if (this.ifaces.has(iname) || index.ifaces.has(i.uuid)) return false;
      index.ifaces.set(i.uuid, { iface: this.placeIface(port, i, iname), name: iname });
      changedIfaces.delete(i.uuid);
    }
    return true;
  }

  /** Interface `u` (kept on its port) as its row is now: renamed. */
  private syncIface(r: Replica, index: CacheIndex, iface: VIface, u: string): boolean {
    const i = r.get('Interface', u);
    if (!i) return false;
    const entry = index.ifaces.get(u)!;
    if (sameColumns(iface.ifaceCfg.raw, i.raw, ['name'])) { iface.ifaceCfg = i; return true; }
    iface.ifaceCfg = i;
    const iname = nameOf(r, i);
    if (!rename(this.ifaces, iface, entry.name, iname)) return false;
    entry.name = iname;
    return true;
  }

  private indexBridge(index: CacheIndex, br: VBridge): void {
    if (br.brCfg) index.bridges.set(br.brCfg.uuid, br);
    for (const port of br.ports) {
      const pname = strCol(this.ctx.replica, port.portCfg, 'name');
      index.ports.set(port.portCfg.uuid, { port, name: pname });
      for (const iface of port.ifaces) index.ifaces.set(iface.ifaceCfg.uuid, { iface, name: nameOf(this.ctx.replica, iface.ifaceCfg) });
    }
  }

  /** Sets `key` of `map` to `value` (undefined: deletes it), noting the undo when journalled. */
  private put<K, V>(map: Map<K, V>, key: K, value: V | undefined): void {
    if (this.journal) {
      const had = map.has(key), old = map.get(key);
      this.journal.push(() => { if (had) map.set(key, old as V); else map.delete(key); });
    }
    if (value === undefined) map.delete(key); else map.set(key, value);
  }

  removeBridge(name: string): void { this.put(this.bridges, name, undefined); }
  removePort(name: string): void { this.put(this.ports, name, undefined); }
  removeIface(name: string): void { this.put(this.ifaces, name, undefined); }
  removeChild(parent: VBridge, vlan: number): void { this.put(parent.children, vlan, undefined); }

  /** br.ports = ports (journalled). */
  setBridgePorts(br: VBridge, ports: VPort[]): void {
    if (this.journal) { const old = br.ports; this.journal.push(() => { br.ports = old; }); }
    br.ports = ports;
  }

  /** port.ifaces = ifaces (journalled). */
  setPortIfaces(port: VPort, ifaces: VIface[]): void {
    if (this.journal) { const old = port.ifaces; this.journal.push(() => { port.ifaces = old; }); }
    port.ifaces = ifaces;
  }

  addBridge(brCfg: VRow | undefined, name: string, parent: VBridge | undefined, vlan: number): VBridge {
    const br: VBridge = { name, ports: [], vlan, children: new Map() };
    if (brCfg) br.brCfg = brCfg;
    if (parent) {
      br.parent = parent;
      const c = parent.children.get(vlan);
      if (c) this.ctx.s.warn('vsctl', `${parent.name}: bridge has multiple VLAN bridges (${name} and ${c.name}) for VLAN ${vlan}, but only one is allowed`);
      else this.put(parent.children, vlan, br);
    }
    this.put(this.bridges, name, br);
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
    const list = parent.ports;
    list.push(port);
    if (this.journal) this.journal.push(() => { list.pop(); });
    this.put(this.ports, name, port);
    return port;
  }

  /** addIface with the interface's name already read. */
  private placeIface(port: VPort, ifaceCfg: VRow, name: string): VIface {
    const i: VIface = { ifaceCfg, port };
    const list = port.ifaces;
    list.push(i);
    if (this.journal) this.journal.push(() => { list.pop(); });
    this.put(this.ifaces, name, i);
    return i;
  }
}

/** The transaction's cache: the session's kept one while this transaction has made no change
 *  the cache is built from (Ctx.invalidateCache), else one built from the replica as it is now. */
export function populateCache(ctx: Ctx): VswitchCache {
  if (ctx.s.cache) return ctx.s.cache;
  const kept = ctx.s.keptCache;
  if (kept && !ctx.s.cacheForked) {
    let c = kept.get();
    if (c) c.attach(ctx);
    else {
      c = new VswitchCache(ctx);
      if (c.keepable) { c.keep(); kept.set(c); }
    }
    ctx.s.cache = c;
    return c;
  }
  ctx.s.cache = new VswitchCache(ctx);
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
