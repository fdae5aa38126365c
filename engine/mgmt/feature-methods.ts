// Management methods for the multi-host features (mirrors, bonds, sFlow, QoS): structured views
// the PowerShell cmdlets turn into objects. Changes go through ovsps/vsctl (one implementation of
// each command); these only read: the database rows, and the switch's live bond/LACP state.
import type { Database, Json, JsonObject, RowJson } from '../ovsdb/api.js';
import type { OvsdbServer } from '../rpc/server.js';
import { OvsError } from '../util/errors.js';
import type { VSwitch } from '../vswitch/vswitch.js';
import { NoSwitchError, objParam, str } from './methods.js';
import { intOf, mapOf, optionalOf, rowUuid, setOf, stringOf, uuidsOf } from '../vswitch/wire.js';

export interface FeatureContext {
  database: Database;
  vswitch: () => VSwitch | undefined;
}

function byUuid(db: Database, table: string): Map<string, RowJson> {
  const m = new Map<string, RowJson>();
  for (const r of db.rows(table)) m.set(rowUuid(r), r);
  return m;
}

function statMap(v: Json | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [k, x] of mapOf(v)) out[k] = Number(x);
  return out;
}

export function mirrorViews(db: Database, filter: { bridge?: string; name?: string }): JsonObject[] {
  const ports = byUuid(db, 'Port');
  const mirrors = byUuid(db, 'Mirror');
  const portName = (u: string) => stringOf(ports.get(u)?.name);
  const out: JsonObject[] = [];
  for (const b of db.rows('Bridge')) {
    const bridge = stringOf(b.name);
    if (filter.bridge !== undefined && bridge !== filter.bridge) continue;
    for (const mu of uuidsOf(b.mirrors)) {
      const m = mirrors.get(mu);
      if (!m) continue;
      const name = stringOf(m.name);
      if (filter.name !== undefined && name !== filter.name) continue;
      const stats = statMap(m.statistics);
      const outPort = uuidsOf(m.output_port)[0];
      out.push({
        uuid: mu, name, bridge, selectAll: optionalOf(m.select_all) === true,
        selectSrcPort: uuidsOf(m.select_src_port).map(portName).sort(), selectDstPort: uuidsOf(m.select_dst_port).map(portName).sort(),
        selectVlan: setOf(m.select_vlan).filter((x): x is number => typeof x === 'number').sort((x, y) => x - y),
        outputPort: outPort ? portName(outPort) : null, outputVlan: intOf(m.output_vlan) ?? null,
        txPackets: (stats.tx_packets as number | undefined) ?? 0, txBytes: (stats.tx_bytes as number | undefined) ?? 0,
      });
    }
  }
  return out.sort((a, b) => (String(a.bridge) + '\0' + String(a.name) < String(b.bridge) + '\0' + String(b.name) ? -1 : 1));
}

export function sflowViews(db: Database, filter: { bridge?: string }): JsonObject[] {
  const rows = byUuid(db, 'sFlow');
  const out: JsonObject[] = [];
  for (const b of db.rows('Bridge')) {
    const bridge = stringOf(b.name);
    if (filter.bridge !== undefined && bridge !== filter.bridge) continue;
    const su = uuidsOf(b.sflow)[0];
    const s = su ? rows.get(su) : undefined;
    if (!s) continue;
    out.push({
      uuid: su!, bridge, agent: stringOf(s.agent) || null, targets: setOf(s.targets).map(String).sort(),
      sampling: intOf(s.sampling) ?? null, polling: intOf(s.polling) ?? null, header: intOf(s.header) ?? null,
    });
  }
  return out.sort((a, b) => (String(a.bridge) < String(b.bridge) ? -1 : 1));
}

export function qosViews(db: Database, filter: { port?: string }): JsonObject[] {
  const qos = byUuid(db, 'QoS');
  const queues = byUuid(db, 'Queue');
  const out: JsonObject[] = [];
  for (const p of db.rows('Port')) {
    const port = stringOf(p.name);
    if (filter.port !== undefined && port !== filter.port) continue;
    const qu = uuidsOf(p.qos)[0];
    const q = qu ? qos.get(qu) : undefined;
    if (!q) continue;
    const qs: JsonObject[] = [];
    const qm = q.queues;
    if (Array.isArray(qm) && qm[0] === 'map' && Array.isArray(qm[1])) {
      for (const pair of qm[1]) {
        if (!Array.isArray(pair) || typeof pair[0] !== 'number') continue;
        const row = queues.get(uuidsOf(pair[1] as Json)[0] ?? '');
        const o = row ? mapOf(row.other_config) : new Map<string, string>();
        const num = (k: string) => (o.has(k) ? Number(o.get(k)) : null);
        qs.push({ id: pair[0], minRate: num('min-rate'), maxRate: num('max-rate'), burst: num('burst'), priority: num('priority') });
      }
    }
    const other = mapOf(q.other_config);
    out.push({ uuid: qu!, port, type: stringOf(q.type), maxRate: other.has('max-rate') ? Number(other.get('max-rate')) : null, queues: qs.sort((a, b) => Number(a.id) - Number(b.id)) });
  }
  return out.sort((a, b) => (String(a.port) < String(b.port) ? -1 : 1));
}

export function registerFeatureMethods(server: OvsdbServer, ctx: FeatureContext): void {
  server.registerMethod('ovsps/mirrors', async (params) => {
    const p = objParam(params, 'ovsps/mirrors');
    return mirrorViews(ctx.database, { bridge: str(p, 'bridge', 'ovsps/mirrors'), name: str(p, 'name', 'ovsps/mirrors') });
  });
  server.registerMethod('ovsps/sflow', async (params) => {
    const p = objParam(params, 'ovsps/sflow');
    return sflowViews(ctx.database, { bridge: str(p, 'bridge', 'ovsps/sflow') });
  });
  server.registerMethod('ovsps/qos', async (params) => {
    const p = objParam(params, 'ovsps/qos');
    return qosViews(ctx.database, { port: str(p, 'port', 'ovsps/qos') });
  });
  server.registerMethod('ovsps/bonds', async (params) => {
    const p = objParam(params, 'ovsps/bonds');
    const sw = ctx.vswitch();
    if (!sw) throw new NoSwitchError();
    const name = str(p, 'name', 'ovsps/bonds');
    const bonds = sw.bondViews().filter((b) => name === undefined || b.name === name);
    if (name !== undefined && bonds.length === 0) throw new OvsError('OVS_E_NOT_FOUND', `no bond named ${name}`);
    return bonds as unknown as Json;
  });
}
