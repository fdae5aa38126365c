// Structured views of the configuration for the management API (what the PowerShell cmdlets show):
// bridges, ports and interfaces with their references resolved to names.
import type { Database, Json, RowJson } from '../ovsdb/api.js';
import { intOf, mapOf, optionalOf, rowUuid, setOf, stringOf, uuidsOf } from '../vswitch/wire.js';

type Rows = Map<string, RowJson>;

function table(db: Database, name: string): Rows {
  const out: Rows = new Map();
  for (const r of db.rows(name)) out.set(rowUuid(r), r);
  return out;
}

function obj(m: Map<string, string>): Record<string, string> { return Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))); }

export interface Topology {
  bridges: Rows; ports: Rows; ifaces: Rows; controllers: Rows;
  portBridge: Map<string, string>; ifacePort: Map<string, string>;
  /** Bridges in Open_vSwitch.bridges order. */
  bridgeOrder: string[];
}

export function topology(db: Database): Topology {
  const ovs = [...db.rows('Open_vSwitch')][0];
  const bridges = table(db, 'Bridge'), ports = table(db, 'Port'), ifaces = table(db, 'Interface'), controllers = table(db, 'Controller');
  const portBridge = new Map<string, string>(), ifacePort = new Map<string, string>();
  const bridgeOrder = ovs ? uuidsOf(ovs.bridges).filter((u) => bridges.has(u)) : [];
  for (const bu of bridgeOrder) for (const pu of uuidsOf(bridges.get(bu)!.ports)) portBridge.set(pu, bu);
  for (const [pu, p] of ports) for (const iu of uuidsOf(p.interfaces)) ifacePort.set(iu, pu);
  return { bridges, ports, ifaces, controllers, portBridge, ifacePort, bridgeOrder };
}

const nameOf = (rows: Rows, uuid: string | undefined): string => (uuid ? stringOf(rows.get(uuid)?.name) : '');

export function bridgeViews(db: Database, filter: { name?: string } = {}): Json[] {
  const t = topology(db);
  const out: Json[] = [];
  for (const bu of [...t.bridgeOrder].sort((a, b) => nameOf(t.bridges, a).localeCompare(nameOf(t.bridges, b)))) {
    const b = t.bridges.get(bu)!;
    const name = stringOf(b.name);
    if (filter.name && filter.name !== name) continue;
    out.push({
      uuid: bu, name,
      ports: uuidsOf(b.ports).map((u) => nameOf(t.ports, u)).sort(),
      failMode: stringOf(b.fail_mode),
      controllers: uuidsOf(b.controller).map((u) => stringOf(t.controllers.get(u)?.target)).sort(),
      datapathType: stringOf(b.datapath_type),
      datapathId: stringOf(b.datapath_id),
      protocols: setOf(b.protocols).map(String),
      externalIds: obj(mapOf(b.external_ids)),
      otherConfig: obj(mapOf(b.other_config)),
    });
  }
  return out;
}

export function portViews(db: Database, filter: { bridge?: string; name?: string } = {}): Json[] {
  const t = topology(db);
  const out: Json[] = [];
  for (const [pu, p] of t.ports) {
    const bu = t.portBridge.get(pu);
    if (!bu) continue; // not in any bridge (about to be garbage-collected)
    const bridge = nameOf(t.bridges, bu);
    const name = stringOf(p.name);
    if (filter.bridge && filter.bridge !== bridge) continue;
    if (filter.name && filter.name !== name) continue;
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

export function interfaceViews(db: Database, filter: { bridge?: string; port?: string; name?: string } = {}): Json[] {
  const t = topology(db);
  const out: Json[] = [];
  for (const [iu, i] of t.ifaces) {
    const pu = t.ifacePort.get(iu);
    const bu = pu ? t.portBridge.get(pu) : undefined;
    if (!bu) continue;
    const port = nameOf(t.ports, pu), bridge = nameOf(t.bridges, bu), name = stringOf(i.name);
    if (filter.bridge && filter.bridge !== bridge) continue;
    if (filter.port && filter.port !== port) continue;
    if (filter.name && filter.name !== name) continue;
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
