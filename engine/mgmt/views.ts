// Structured views of the configuration for the management API (what the PowerShell cmdlets show):
// bridges, ports and interfaces with their references resolved to names.
import type { Json, RowJson } from '../ovsdb/api.js';
import { intOf, mapOf, optionalOf, setOf, stringOf, uuidsOf } from '../vswitch/wire.js';

type Rows = ReadonlyMap<string, RowJson>;

/** Where views read rows: the engine's RowMirror (current rows by uuid, in the database's order). */
export interface RowSource {
  rows(table: string): ReadonlyMap<string, RowJson>;
  /** The uuid of the row named `name` where names are unique in `table` (RowMirror.named);
   *  undefined when not found or not known (the views then look through the table). */
  named?(table: string, name: string): string | undefined;
  nameIndexed?(table: string): boolean;
  /** The bridge whose ports hold port `pu` (null: none), or undefined when not known. */
  bridgeOfPort?(pu: string): string | null | undefined;
}

/** The rows of `table` to look at for rows named `name` (all of them without a name): the one
 *  row of that name where the source indexes names, else the whole table. */
function candidates(src: RowSource, rows: Rows, table: string, name: string | undefined): Iterable<[string, RowJson]> {
  if (!name || !src.named || !src.nameIndexed?.(table)) return rows;
  const u = src.named(table, name);
  const r = u === undefined ? undefined : rows.get(u);
  return r ? [[u as string, r]] : [];
}

function obj(m: Map<string, string>): Record<string, string> { return Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))); }

/** The uuids in a set-of-references value, memoised per value object: the mirror hands out the
 *  same objects until a row changes, so an unchanged bridge's port list is parsed once. */
const uuidMemo = new WeakMap<object, string[]>();
function refs(v: Json | undefined): string[] {
  if (typeof v !== 'object' || v === null) return uuidsOf(v);
  let u = uuidMemo.get(v);
  if (!u) uuidMemo.set(v, (u = uuidsOf(v)));
  return u;
}

/** Names and references only: which port is on which bridge, which interface on which port. The
 *  tables are read at one moment (the source changes only between commits). The reverse maps are
 *  built only for listings; a lookup of one named row scans the references instead. */
class Topology {
  readonly bridges: Rows; readonly ports: Rows; readonly ifaces: Rows;
  /** Open_vSwitch.bridges (those that exist), in that order; made on first use. */
  private order?: string[];
  private readonly ovs: RowJson | undefined;
  private portBridgeMap?: Map<string, string>;
  private ifacePortMap?: Map<string, string>;

  constructor(src: RowSource) {
    this.bridges = src.rows('Bridge'); this.ports = src.rows('Port'); this.ifaces = src.rows('Interface');
    this.ovs = src.rows('Open_vSwitch').values().next().value as RowJson | undefined;
    this.src = src;
  }

  private readonly src: RowSource;

  get bridgeOrder(): string[] {
    return (this.order ??= this.ovs ? refs(this.ovs.bridges).filter((u) => this.bridges.has(u)) : []);
  }

  /** Whether bridge `bu` is in Open_vSwitch.bridges. */
  inSwitch(bu: string): boolean {
    return this.order ? this.order.includes(bu) : this.ovs !== undefined && this.bridges.has(bu) && refs(this.ovs.bridges).includes(bu);
  }

  /** The bridge holding port `pu` (undefined: in no bridge, about to be garbage-collected). */
  bridgeOf(pu: string, many: boolean): string | undefined {
    if (many && !this.portBridgeMap) {
      this.portBridgeMap = new Map();
      for (const bu of this.bridgeOrder) for (const u of refs(this.bridges.get(bu)!.ports)) this.portBridgeMap.set(u, bu);
    }
    if (this.portBridgeMap) return this.portBridgeMap.get(pu);
    const known = this.src.bridgeOfPort?.(pu);
    if (known !== undefined) return known ?? undefined;
    return this.bridgeOrder.find((bu) => refs(this.bridges.get(bu)!.ports).includes(pu));
  }

  /** The port holding interface `iu`. */
  portOf(iu: string, many: boolean): string | undefined {
    if (many && !this.ifacePortMap) {
      this.ifacePortMap = new Map();
      for (const [pu, p] of this.ports) for (const u of refs(p.interfaces)) this.ifacePortMap.set(u, pu);
    }
    if (this.ifacePortMap) return this.ifacePortMap.get(iu);
    for (const [pu, p] of this.ports) if (refs(p.interfaces).includes(iu)) return pu;
    return undefined;
  }
}

const nameOf = (rows: Rows, uuid: string | undefined): string => (uuid ? stringOf(rows.get(uuid)?.name) : '');

export function bridgeViews(src: RowSource, filter: { name?: string } = {}): Json[] {
  const t = new Topology(src);
  const one = !!filter.name && src.nameIndexed?.('Bridge') === true && src.named !== undefined;
  const wanted = one
    ? [...candidates(src, t.bridges, 'Bridge', filter.name)].map(([u]) => u).filter((u) => t.inSwitch(u))
    : t.bridgeOrder.filter((bu) => !filter.name || nameOf(t.bridges, bu) === filter.name)
      .sort((a, b) => nameOf(t.bridges, a).localeCompare(nameOf(t.bridges, b)));
  const controllers = src.rows('Controller');
  const out: Json[] = [];
  for (const bu of wanted) {
    const b = t.bridges.get(bu);
    if (!b) continue;
    const name = stringOf(b.name);
    out.push({
      uuid: bu, name,
      ports: refs(b.ports).map((u) => nameOf(t.ports, u)).sort(),
      failMode: stringOf(b.fail_mode),
      controllers: uuidsOf(b.controller).map((u) => stringOf(controllers.get(u)?.target)).sort(),
      datapathType: stringOf(b.datapath_type),
      datapathId: stringOf(b.datapath_id),
      protocols: setOf(b.protocols).map(String),
      externalIds: obj(mapOf(b.external_ids)),
      otherConfig: obj(mapOf(b.other_config)),
    });
  }
  return out;
}

export function portViews(src: RowSource, filter: { bridge?: string; name?: string } = {}): Json[] {
  const t = new Topology(src);
  const many = !filter.name;
  const out: Json[] = [];
  for (const [pu, p] of candidates(src, t.ports, 'Port', filter.name)) {
    const name = stringOf(p.name);
    if (filter.name && filter.name !== name) continue;
    const bu = t.bridgeOf(pu, many);
    if (!bu) continue; // not in any bridge (about to be garbage-collected)
    const bridge = nameOf(t.bridges, bu);
    if (filter.bridge && filter.bridge !== bridge) continue;
    out.push({
      uuid: pu, name, bridge,
      tag: intOf(p.tag) ?? null,
      trunks: setOf(p.trunks).filter((x): x is number => typeof x === 'number').sort((a, b) => a - b),
      vlanMode: stringOf(p.vlan_mode),
      interfaces: refs(p.interfaces).map((u) => nameOf(t.ifaces, u)).sort(),
      bondMode: stringOf(p.bond_mode),
      lacp: stringOf(p.lacp),
      externalIds: obj(mapOf(p.external_ids)),
      otherConfig: obj(mapOf(p.other_config)),
    });
  }
  return out.sort((a, b) => String((a as { bridge: string }).bridge + '\0' + (a as { name: string }).name).localeCompare((b as { bridge: string }).bridge + '\0' + (b as { name: string }).name));
}

export function interfaceViews(src: RowSource, filter: { bridge?: string; port?: string; name?: string } = {}): Json[] {
  const t = new Topology(src);
  const many = !filter.name;
  const out: Json[] = [];
  for (const [iu, i] of candidates(src, t.ifaces, 'Interface', filter.name)) {
    const name = stringOf(i.name);
    if (filter.name && filter.name !== name) continue;
    const pu = t.portOf(iu, many);
    const bu = pu ? t.bridgeOf(pu, many) : undefined;
    if (!bu) continue;
    const port = nameOf(t.ports, pu), bridge = nameOf(t.bridges, bu);
    if ((filter.bridge && filter.bridge !== bridge) || (filter.port && filter.port !== port)) continue;
    const stats: Record<string, Json> = {};
    const st = i.statistics;
    if (Array.isArray(st) && st[0] === 'map') for (const [k, v] of st[1] as Json[][]) stats[String(k)] = v!;
    out.push({
      uuid: iu, name, port, bridge,
      type: stringOf(i.type),
      options: obj(mapOf(i.options)),
      ofport: intOf(i.ofport) ?? null,
      ofportRequest: intOf(i.ofport_request) ?? null,
      macInUse: stringOf(i.mac_in_use),
      mac: stringOf(i.mac),
      linkState: stringOf(i.link_state),
      adminState: stringOf(i.admin_state),
      mtu: intOf(i.mtu) ?? null,
      ifindex: intOf(i.ifindex) ?? null,
      error: (optionalOf<string>(i.error) ?? null) as Json,
      externalIds: obj(mapOf(i.external_ids)),
      statistics: stats,
    });
  }
  return out.sort((a, b) => String((a as { name: string }).name).localeCompare((b as { name: string }).name));
}
