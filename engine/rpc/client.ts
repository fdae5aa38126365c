// An OVSDB client over JSON-RPC: `connectOvsdb("unix:/run/db.sock")` gives an OvsdbClient (the same
// shape as the in-process LocalClient) plus raw requests, monitors and notifications.
// Reconnection is left to callers.
import type { Socket } from 'node:net';
import type { Json, JsonObject, OvsdbClient } from '../ovsdb/api.js';
import { JsonRpcConnection, type ConnectionOptions } from './connection.js';
import { JsonRpcProtocolError } from './errors.js';
import { connectStream, type TlsFiles } from './stream.js';
import { stringifyJson } from '../util/json-int64.js';

export type MonitorKind = 'monitor' | 'monitor_cond' | 'monitor_cond_since';

export interface MonitorOptions {
  /** Which method (default monitor_cond: update2 notifications with column diffs). */
  kind?: MonitorKind;
  /** For monitor_cond_since: the last txn id this client has seen (default all zeros). */
  lastTxnId?: string;
}

/** What a monitor request returned. `updates` is <table-updates> (monitor) or <table-updates2>. */
export interface MonitorResult {
  updates: JsonObject;
  /** monitor_cond_since only: whether the server could answer from `lastTxnId`. */
  found?: boolean;
  /** monitor_cond_since only: the txn id the initial contents correspond to. */
  lastTxnId?: string;
}

/** Receives each update for one monitor; `lastTxnId` is set for monitor_cond_since (update3). */
export type MonitorListener = (updates: JsonObject, lastTxnId?: string) => void;

export type NotificationListener = (method: string, params: Json[]) => void;

export interface ClientOptions extends ConnectionOptions {
  tls?: TlsFiles;
  connectTimeoutMs?: number;
}

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export class RpcOvsdbClient implements OvsdbClient {
  readonly connection: JsonRpcConnection;
  private readonly monitors = new Map<string, MonitorListener>();
  private readonly listeners = new Set<NotificationListener>();

  constructor(socket: Socket, options: ConnectionOptions = {}) {
    // A client reads large replies (schemas, dumps) in pieces: hold them for one whole parse.
    this.connection = new JsonRpcConnection(socket, { holdPartial: true, ...options });
    this.connection.onNotification = (method, params) => this.notification(method, params);
  }

  get closed(): boolean {
    return this.connection.closed;
  }

  /** Any request; resolves with `result`, rejects with RpcError (the server's `error`). */
  request(method: string, params: Json[]): Promise<Json> {
    return this.connection.request(method, params);
  }

  notify(method: string, params: Json[]): void {
    this.connection.notify(method, params);
  }

  async listDbs(): Promise<string[]> {
    const r = await this.request('list_dbs', []);
    if (!Array.isArray(r) || !r.every((x) => typeof x === 'string')) throw new JsonRpcProtocolError(`list_dbs reply is not an array of strings: ${stringifyJson(r)}`);
    return r as string[];
  }

  async getSchema(db: string): Promise<JsonObject> {
    const r = await this.request('get_schema', [db]);
    if (!r || typeof r !== 'object' || Array.isArray(r)) throw new JsonRpcProtocolError(`get_schema reply is not an object: ${stringifyJson(r)}`);
    return r;
  }

  async transact(db: string, ops: Json[]): Promise<Json[]> {
    const r = await this.request('transact', [db, ...ops]);
    if (!Array.isArray(r)) throw new JsonRpcProtocolError(`transact reply is not an array: ${stringifyJson(r)}`);
    return r;
  }

  /** Sends `echo` and resolves with what came back. */
  async echo(params: Json[] = []): Promise<Json> {
    return this.request('echo', params);
  }

  /** Starts a monitor. `requests` maps table -> monitor request(s). Updates for `id` go to
   *  `onUpdate` from the moment the request is sent, so none is lost. */
  async monitor(db: string, id: Json, requests: JsonObject, onUpdate: MonitorListener,
    options: MonitorOptions = {}): Promise<MonitorResult> {
    const kind = options.kind ?? 'monitor_cond';
    const key = stringifyJson(id);
    this.monitors.set(key, onUpdate);
    const params: Json[] = [db, id, requests];
    if (kind === 'monitor_cond_since') params.push(options.lastTxnId ?? ZERO_UUID);
    try {
      const r = await this.request(kind, params);
      if (kind === 'monitor_cond_since') {
        if (!Array.isArray(r) || r.length !== 3 || typeof r[0] !== 'boolean' || typeof r[1] !== 'string' || !isObject(r[2])) {
          throw new JsonRpcProtocolError(`monitor_cond_since reply is not [found, last-txn-id, updates]: ${stringifyJson(r)}`);
        }
        return { found: r[0], lastTxnId: r[1], updates: r[2] };
      }
      if (!isObject(r)) throw new JsonRpcProtocolError(`${kind} reply is not an object: ${stringifyJson(r)}`);
      return { updates: r };
    } catch (e) {
      this.monitors.delete(key);
      throw e;
    }
  }

  /** Changes a monitor's conditions (and possibly its id). The server sends the resulting
   *  update under the new id before its reply, so the listener moves to the new id first. */
  async monitorCondChange(oldId: Json, newId: Json, requests: JsonObject): Promise<void> {
    const oldKey = stringifyJson(oldId);
    const newKey = stringifyJson(newId);
    const l = this.monitors.get(oldKey);
    const moved = l !== undefined && oldKey !== newKey && !this.monitors.has(newKey);
    if (moved) this.monitors.set(newKey, l);
    try {
      await this.request('monitor_cond_change', [oldId, newId, requests]);
    } catch (e) {
      if (moved) this.monitors.delete(newKey);
      throw e;
    }
    if (moved) this.monitors.delete(oldKey);
  }

  async monitorCancel(id: Json): Promise<void> {
    await this.request('monitor_cancel', [id]);
    this.monitors.delete(stringifyJson(id));
  }

  /** Every notification (update*, locked, stolen, monitor_canceled, ...). Returns an unsubscribe. */
  onNotification(listener: NotificationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onClose(listener: (reason: string | undefined) => void): void {
    this.connection.onClose(listener);
  }

  async close(): Promise<void> {
    this.connection.close('closed by client');
  }

  private notification(method: string, params: Json[]): void {
    if ((method === 'update' || method === 'update2') && params.length === 2 && isObject(params[1])) {
      this.monitors.get(stringifyJson(params[0]))?.(params[1]);
    } else if (method === 'update3' && params.length === 3 && typeof params[1] === 'string' && isObject(params[2])) {
      this.monitors.get(stringifyJson(params[0]))?.(params[2], params[1]);
    } else if (method === 'monitor_canceled' && params.length >= 1) {
      this.monitors.delete(stringifyJson(params[0]));
    }
    for (const l of this.listeners) l(method, params);
  }
}

function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** Connects to an OVSDB server at an OVS target (unix:PATH, tcp:IP:PORT, ssl:IP:PORT). */
export async function connectOvsdb(target: string, options: ClientOptions = {}): Promise<RpcOvsdbClient> {
  const sock = await connectStream(target, { tls: options.tls, timeoutMs: options.connectTimeoutMs });
  return new RpcOvsdbClient(sock, { name: target, ...options });
}
