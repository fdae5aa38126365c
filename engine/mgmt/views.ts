// Structured views of the configuration for the management API (what the PowerShell cmdlets show):
// bridges, ports and interfaces with their references resolved to names.
import type { Database, Json, RowJson } from '../ovsdb/api.js';
import { intOf, mapOf, optionalOf, rowUuid, setOf, stringOf, uuidsOf } from '../vswitch/wire.js';

type Rows = Map<string, RowJson>;

/** Rows of `table` (only `columns`, plus _uuid), all of them or just `uuids`, in one transaction.
 *  Selecting with a column list converts only those columns to wire form, so building the
 *  topology stays cheap however many columns the tables have. */
async function select(db: Database, table: string, columns?: string[], uuids?: string[]): Promise<Rows> {
  const cols = columns ? ['_uuid', ...columns] : undefined;
  const ops: Json[] = uuids
    ? uuids.map((u) => ({ op: 'select', table, where: [['_uuid', '==', ['uuid', u]]], ...(cols ? { columns: cols } : {}) }))
    : [{ op: 'select', table, where: [], ...(cols ? { columns: cols } : {}) }];
  const out: Rows = new Map();
  if (ops.length === 0) return out;
  for (const r of await db.transact(ops)) {
    const rows = (r as { rows?: RowJson[] } | null)?.rows;
    if (!rows) throw new Error(`selecting from ${table} failed: ${JSON.stringify(r)}`);
    for (const row of rows) out.set(rowUuid(row), row);
  }
  return out;
}

function obj(m: Map<string, string>): Record<string, string> { return Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))); }

/** Names and references only: which port is on which bridge, which interface on which port. */
export interface Topology {
  bridges: Rows; ports: Rows; ifaces: Rows;
  portBridge: Map<string, string>; ifacePort: Map<string, string>;
  /** Bridges in Open_vSwitch.bridges order. */
  bridgeOrder: string[];
}

export async function topology(db: Database): Promise<Topology> {
  // One transaction, so the four tables are read at the same moment.
  const spec: Array<[string, string[]]> = [['Open_vSwitch', ['bridges']], ['Bridge', ['name', 'ports']], ['Port', ['name', 'interfaces']], ['Interface', ['name']]];
  const results = await db.transact(spec.map(([table, columns]) => ({ op: 'select', table, where: [], columns: ['_uuid', ...columns] })));
  const [ovsRows, bridges, ports, ifaces] = results.map((r, i) => {
    const rows = (r as { rows?: RowJson[] } | null)?.rows;
    if (!rows) throw new Error(`selecting from ${spec[i]![0]} failed: ${JSON.stringify(r)}`);
    return new Map(rows.map((row) => [rowUuid(row), row])) as Rows;
  }) as [Rows, Rows, Rows, Rows];
  const ovs = [...ovsRows.values()][0];
  const portBridge = new Map<string, string>(), ifacePort = new Map<string, string>();
  const bridgeOrder = ovs ? uuidsOf(ovs.bridges).filter((u) => bridges.has(u)) : [];
  for (const bu of bridgeOrder) for (const pu of uuidsOf(bridges.get(bu)!.ports)) portBridge.set(pu, bu);
  for (const [pu, p] of ports) for (const iu of uuidsOf(p.interfaces)) ifacePort.set(iu, pu);
  return { bridges, ports, ifaces, portBridge, ifacePort, bridgeOrder };
}

const nameOf = (rows: Rows, uuid: string | undefined): string => (uuid ? stringOf(rows.get(uuid)?.name) : '');

export async function bridgeViews(db: Database, filter: { name?: string } = {}): Promise<Json[]> {
  const t = await topology(db);
  const wanted = [...t.bridgeOrder].filter((bu) => !filter.name || nameOf(t.bridges, bu) === filter.name)
    .sort((a, b) => nameOf(t.bridges, a).localeCompare(nameOf(t.bridges, b)));
  const full = await select(db, 'Bridge', undefined, wanted);
  const controllers = await select(db, 'Controller', ['target'], [...new Set(wanted.flatMap((bu) => uuidsOf(full.get(bu)?.controller)))]);
  const out: Json[] = [];
  for (const bu of wanted) {
    const b = full.get(bu);
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

export async function portViews(db: Database, filter: { bridge?: string; name?: string } = {}): Promise<Json[]> {
  const t = await topology(db);
  const wanted = [...t.ports.keys()].filter((pu) => {
    const bu = t.portBridge.get(pu);
    if (!bu) return false; // not in any bridge (about to be garbage-collected)
    return (!filter.bridge || filter.bridge === nameOf(t.bridges, bu)) && (!filter.name || filter.name === nameOf(t.ports, pu));
  });
  const full = await select(db, 'Port', undefined, wanted);
  const out: Json[] = [];
  for (const pu of wanted) {
    const p = full.get(pu);
    if (!p) continue;
    const bridge = nameOf(t.bridges, t.portBridge.get(pu));
    const name = stringOf(p.name);
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

export async function interfaceViews(db: Database, filter: { bridge?: string; port?: string; name?: string } = {}): Promise<Json[]> {
  const t = await topology(db);
  const wanted = [...t.ifaces.keys()].filter((iu) => {
    const pu = t.ifacePort.get(iu);
    const bu = pu ? t.portBridge.get(pu) : undefined;
    if (!bu) return false;
    return (!filter.bridge || filter.bridge === nameOf(t.bridges, bu)) && (!filter.port || filter.port === nameOf(t.ports, pu))
      && (!filter.name || filter.name === nameOf(t.ifaces, iu));
  });
  const full = await select(db, 'Interface', undefined, wanted);
  const out: Json[] = [];
  for (const iu of wanted) {
    const i = full.get(iu);
    if (!i) continue;
    const pu = t.ifacePort.get(iu);
    const port = nameOf(t.ports, pu), bridge = nameOf(t.bridges, t.portBridge.get(pu!)), name = stringOf(i.name);
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
