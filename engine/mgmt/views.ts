// Structured views of the configuration for the management API (what the PowerShell cmdlets show):
// bridges, ports and interfaces with their references resolved to names.
import type { Json, RowJson } from '../ovsdb/api.js';
import { intOf, mapOf, optionalOf, setOf, stringOf, uuidsOf } from '../vswitch/wire.js';

type Rows = ReadonlyMap<string, RowJson>;

/** Where views read rows: the engine's RowMirror (current rows by uuid, in the database's order). */
export interface RowSource {
  rows(table: string): ReadonlyMap<string, RowJson>;
}

function obj(m: Map<string, string>): Record<string, string> { return Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))); }

/** Names and references only: which port is on which bridge, which interface on which port. */
export interface Topology {
  bridges: Rows; ports: Rows; ifaces: Rows;
  portBridge: Map<string, string>; ifacePort: Map<string, string>;
  /** Bridges in Open_vSwitch.bridges order. */
  bridgeOrder: string[];
}

/** The uuids in a set-of-references value, memoised per value object: the mirror hands out the
 *  same objects until a row changes, so an unchanged bridge's port list is parsed once. */
const uuidMemo = new WeakMap<object, string[]>();
function refs(v: Json | undefined): string[] {
  if (typeof v !== 'object' || v === null) return uuidsOf(v);
  let u = uuidMemo.get(v);
  if (!u) uuidMemo.set(v, (u = uuidsOf(v)));
  return u;
}

/** The four tables are read at the same moment: the source changes only between commits. */
export function topology(src: RowSource): Topology {
  const bridges = src.rows('Bridge'), ports = src.rows('Port'), ifaces = src.rows('Interface');
  const ovs = src.rows('Open_vSwitch').values().next().value as RowJson | undefined;
  const portBridge = new Map<string, string>(), ifacePort = new Map<string, string>();
  const bridgeOrder = ovs ? refs(ovs.bridges).filter((u) => bridges.has(u)) : [];
  for (const bu of bridgeOrder) for (const pu of refs(bridges.get(bu)!.ports)) portBridge.set(pu, bu);
  for (const [pu, p] of ports) for (const iu of refs(p.interfaces)) ifacePort.set(iu, pu);
  return { bridges, ports, ifaces, portBridge, ifacePort, bridgeOrder };
}

const nameOf = (rows: Rows, uuid: string | undefined): string => (uuid ? stringOf(rows.get(uuid)?.name) : '');

export function bridgeViews(src: RowSource, filter: { name?: string } = {}): Json[] {
  const t = topology(src);
  const wanted = t.bridgeOrder.filter((bu) => !filter.name || nameOf(t.bridges, bu) === filter.name)
    .sort((a, b) => nameOf(t.bridges, a).localeCompare(nameOf(t.bridges, b)));
  const controllers = src.rows('Controller');
  const out: Json[] = [];
  for (const bu of wanted) {
    const b = t.bridges.get(bu);
    if (!b) continue;
    const name = stringOf(b.name);
    out.push({
      uuid: bu, name,
      ports: uuidsOf(b.ports).map((u) => nameOf(t.ports, u)).sort(),
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
  const t = topology(src);
  const out: Json[] = [];
  for (const [pu, p] of t.ports) {
    const bu = t.portBridge.get(pu);
    if (!bu) continue; // not in any bridge (about to be garbage-collected)
    const name = stringOf(p.name);
    if (filter.name && filter.name !== name) continue;
    const bridge = nameOf(t.bridges, bu);
    if (filter.bridge && filter.bridge !== bridge) continue;
    out.push({
      uuid: pu, name, bridge,
      tag: intOf(p.tag) ?? null,
      trunks: setOf(p.trunks).filter((x): x is number => typeof x === 'number').sort((a, b) => a - b),
      vlanMode: stringOf(p.vlan_mode),
      interfaces: uuidsOf(p.interfaces).map((u) => nameOf(t.ifaces, u)).sort(),
      bondMode: stringOf(p.bond_mode),
      lacp: stringOf(p.lacp),
      externalIds: obj(mapOf(p.external_ids)),
      otherConfig: obj(mapOf(p.other_config)),
    });
  }
  return out.sort((a, b) => String((a as { bridge: string }).bridge + '\0' + (a as { name: string }).name).localeCompare((b as { bridge: string }).bridge + '\0' + (b as { name: string }).name));
}

export function interfaceViews(src: RowSource, filter: { bridge?: string; port?: string; name?: string } = {}): Json[] {
  const t = topology(src);
  const out: Json[] = [];
  for (const [iu, i] of t.ifaces) {
    const pu = t.ifacePort.get(iu);
    const bu = pu ? t.portBridge.get(pu) : undefined;
    if (!bu) continue;
    const name = stringOf(i.name);
    if (filter.name && filter.name !== name) continue;
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
