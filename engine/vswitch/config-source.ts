// Where the switch reads its configuration from and writes its status to: the engine's own
// database in-process, or a remote ovsdb-server over JSON-RPC (ovs-vswitchd as its own process).
// Both present the same replica of the tables the switch uses.
import type { CommittedChange, Database, Json, JsonObject, RowJson } from '../ovsdb/api.js';
import { changedColumnsOf } from '../ovsdb/database.js';
import { isStatusOnly } from './status-columns.js';
import type { RpcOvsdbClient } from '../rpc/client.js';
import { applyDatumDiffJson } from '../ovsdb/datum.js';
import { parseSchema, type DatabaseSchema } from '../ovsdb/schema.js';
import { rowUuid } from './wire.js';

export const SWITCH_TABLES = ['Open_vSwitch', 'Bridge', 'Port', 'Interface', 'Controller', 'Manager', 'Mirror', 'QoS', 'Queue', 'sFlow', 'NetFlow', 'IPFIX', 'Flow_Sample_Collector_Set'] as const;

export type Replica = Map<string, Map<string, RowJson>>;

export interface ConfigSource {
  /** The current rows of SWITCH_TABLES (wire form, keyed by uuid). */
  replica(): Replica;
  /** Called after each change of the replica. Returns an unsubscribe. */
  onChange(listener: () => void): () => void;
  transact(ops: Json[]): Promise<Json[]>;
  close(): Promise<void>;
}

/** True when a commit changed configuration the switch reads: a row of SWITCH_TABLES inserted or
 *  deleted, or a column other than the switch's own status columns modified. */
function configChanged(change: CommittedChange): boolean {
  for (const [t, rows] of change.tables) {
    if (!(SWITCH_TABLES as readonly string[]).includes(t)) continue;
    for (const ch of rows.values()) {
      const cols = changedColumnsOf(ch);
      if (!cols || !isStatusOnly(t, cols)) return true;
    }
  }
  return false;
}

export class LocalConfigSource implements ConfigSource {
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: () => void;

  constructor(private readonly db: Database) {
    this.unsubscribe = db.onCommit((change) => {
      if (configChanged(change)) for (const l of this.listeners) l();
    });
  }

  replica(): Replica {
    const out: Replica = new Map();
    const known = new Set(Object.keys((this.db.schemaJson.tables ?? {}) as JsonObject));
    for (const t of SWITCH_TABLES) {
      const rows = new Map<string, RowJson>();
      if (known.has(t)) for (const r of this.db.rows(t)) rows.set(rowUuid(r), r);
      out.set(t, rows);
    }
    return out;
  }

  onChange(listener: () => void): () => void { this.listeners.add(listener); return () => this.listeners.delete(listener); }
  transact(ops: Json[]): Promise<Json[]> { return this.db.transact(ops); }
  async close(): Promise<void> { this.unsubscribe(); this.listeners.clear(); }
}

/** A replica kept by monitor_cond over a connection to ovsdb-server. */
export class RemoteConfigSource implements ConfigSource {
  private readonly rows: Replica = new Map();
  private readonly listeners = new Set<() => void>();

  private schema?: DatabaseSchema;

  private constructor(private readonly client: RpcOvsdbClient) {
    for (const t of SWITCH_TABLES) this.rows.set(t, new Map());
  }

  static async open(client: RpcOvsdbClient): Promise<RemoteConfigSource> {
    const src = new RemoteConfigSource(client);
    const schema = await client.getSchema('Open_vSwitch');
    src.schema = parseSchema(schema);
    const tables = Object.keys((schema.tables ?? {}) as JsonObject);
    const requests: JsonObject = {};
    for (const t of SWITCH_TABLES) if (tables.includes(t)) requests[t] = [{}];
    const r = await client.monitor('Open_vSwitch', ['ovs-vswitchd-config'], requests, (updates) => src.apply(updates as JsonObject, true), { kind: 'monitor_cond' });
    src.apply(r.updates, false);
    return src;
  }

  private apply(updates: JsonObject, notify: boolean): void {
    let config = false;
    for (const [table, rows] of Object.entries(updates)) {
      const t = this.rows.get(table);
      if (!t || !rows || typeof rows !== 'object') continue;
      for (const [uuid, u] of Object.entries(rows as JsonObject)) {
        const upd = u as JsonObject;
        if ('delete' in upd) { t.delete(uuid); config = true; continue; }
        const full = (upd.initial ?? upd.insert) as RowJson | undefined;
        if (full) { t.set(uuid, { ...full, _uuid: ['uuid', uuid] }); config = true; continue; }
        const diff = upd.modify as RowJson | undefined;
        if (diff) {
          t.set(uuid, this.applyDiff(table, t.get(uuid) ?? { _uuid: ['uuid', uuid] }, diff));
          if (!isStatusOnly(table, Object.keys(diff))) config = true;
        }
      }
    }
    if (notify && config) for (const l of this.listeners) l();
  }

  /** Applies an update2 "modify": sets and maps carry the difference, scalars the new value. */
  private applyDiff(table: string, old: RowJson, diff: RowJson): RowJson {
    const ts = this.schema?.tables.get(table);
    const out: RowJson = { ...old };
    for (const [col, d] of Object.entries(diff)) {
      const cs = ts?.columns.get(col);
      out[col] = cs && old[col] !== undefined ? applyDatumDiffJson(cs.type, old[col]!, d) : d;
    }
    return out;
  }

  replica(): Replica { return this.rows; }
  onChange(listener: () => void): () => void { this.listeners.add(listener); return () => this.listeners.delete(listener); }
  transact(ops: Json[]): Promise<Json[]> { return this.client.transact('Open_vSwitch', ops); }
  async close(): Promise<void> { this.listeners.clear(); await this.client.close(); }
}

