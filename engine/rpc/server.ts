// The OVSDB server: a thin door from JSON-RPC connections onto Database objects, speaking what
// ovsdb-server 3.1 speaks (RFC 7047 plus OVS's monitor_cond, monitor_cond_since,
// monitor_cond_change, get_server_id, set_db_change_aware and the `_Server` database).
//
//   const server = new OvsdbServer({ logger });
//   server.addDatabase(db);
//   await server.listen('punix:/var/run/openvswitch/db.sock');
//   server.registerMethod('ps/hello', async (params, session) => 'hi');
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { Database, Json, JsonObject, TransactSession } from '../ovsdb/api.js';
import { OvsdbError, TransactCanceledError } from '../ovsdb/errors.js';
import { isId, isUuid, OvsSchemaError, parseSchema, type DatabaseSchema } from '../ovsdb/schema.js';
import { OvsError } from '../util/errors.js';
import { JsonRpcConnection, type ConnectionOptions } from './connection.js';
import { replyText } from './jsonrpc.js';
import { LockTable, type LockHolder } from './locks.js';
import { silentLogger, type Logger } from './logger.js';
import {
  ChangeFeed, Monitor, RowTextCache, compileCondition, mergeChanges, parseMonitorRequests, shapeKeyOf, uniqueShapeKey, type MonitorVersion,
} from './monitor.js';
import { normalizedSchemaJson } from './schema-json.js';
import { SERVER_DB_NAME, ServerDatabase } from './server-db.js';
import { listenRemote, parsePassiveRemote, type Listener, type TlsFiles } from './stream.js';
import { LimitError, type ServerLimits } from '../util/limits.js';
import { LimitGuard } from './limits.js';
import { rbacApplies, rbacTransact, readOnlyTransact } from './rbac.js';
import { TxnHistory } from './txn-history.js';
import { Auditor, hasWriteOps, isReadOnlyCall, summarizeOps, summarizeParams, transactOutcome, type AuditClient, type AuditEvent, type AuditOptions } from './audit.js';
import { lazyPeerIdentity, type PeerIdentity } from './peer-identity.js';
import { stringifyJson } from '../util/json-int64.js';

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** Default bound on bytes queued to one client before it is disconnected as too slow. */
export const DEFAULT_MAX_SEND_BACKLOG = 64 * 1024 * 1024;
/** Default inactivity probe for TCP/SSL clients (unix sockets are not probed, as in OVS). */
export const DEFAULT_PROBE_INTERVAL_MS = 5000;
/** How many committed transactions per database are kept for monitor_cond_since. */
export const DEFAULT_TXN_HISTORY = 100;

export interface ServerOptions {
  logger?: Logger;
  maxMessageBytes?: number;
  maxDepth?: number;
  maxSendBacklog?: number;
  /** Inactivity probe for TCP/SSL connections in ms (0 disables). Unix sockets: never. */
  probeIntervalMs?: number;
  txnHistory?: number;
  /** Key, certificate and CA for pssl: remotes. */
  tls?: TlsFiles;
  /** Resource limits (engine/util/limits.ts); maxMessageBytes/maxDepth/maxSendBacklog above win. */
  limits?: Partial<ServerLimits>;
  /** Audit trail of writes and management calls (default: log lines through `logger`). */
  audit?: AuditOptions;
  /** Makes the "convert" method available: converts the database served as `name` to `schema`
   *  (writing its storage) and returns the database to serve from then on. Throws OvsdbError when
   *  the data does not fit. Without it, "convert" answers "not allowed". */
  convertDatabase?: (name: string, schema: DatabaseSchema) => Database;
}

/** Per-remote settings a session follows for its whole life; the owner may change `role` later
 *  (ovsdb-server reads it from the Connection row's `role` column). */
export interface RemoteSettings {
  /** RBAC role of clients of this remote ('' or undefined: unrestricted). */
  role?: string;
  /** Clients of this remote may only read (Connection row `read_only`). */
  readOnly?: boolean;
}

export type MethodHandler = (params: Json[], session: ServerSession) => Promise<Json>;

interface DbEntry {
  db: Database;
  schema: DatabaseSchema;
  /** The schema as get_schema answers it (OVS's normalized form). */
  schemaJson: JsonObject;
  /** schemaJson serialised (made on first use). */
  schemaText?: string;
  /** The last commits, for monitor_cond_since. */
  history: TxnHistory;
  /** Commits not yet sent to every monitor; composes updates once per monitor shape. */
  feed: ChangeFeed;
  /** Row texts of initial monitor contents, reused while rows keep their _version. */
  rowTexts: RowTextCache;
  unsubscribe: () => void;
}

const BUILTIN_METHODS = new Set([
  'list_dbs', 'get_schema', 'transact', 'monitor', 'monitor_cond', 'monitor_cond_since', 'monitor_cond_change',
  'monitor_cancel', 'lock', 'steal', 'unlock', 'set_db_change_aware', 'get_server_id', 'echo', 'convert',
]);

function errorJson(e: unknown): Json {
  if (e instanceof LimitError) return e.toJson();
  if (e instanceof OvsdbError) return e.toJson() as unknown as Json;
  if (e instanceof OvsError) return { error: e.code, details: e.message };
  return { error: 'internal error', details: e instanceof Error ? e.message : String(e) };
}

export class OvsdbServer {
  readonly serverId = randomUUID();
  readonly logger: Logger;
  private readonly options: ServerOptions;
  private readonly dbs = new Map<string, DbEntry>();
  private readonly serverDb = new ServerDatabase();
  private readonly methods = new Map<string, MethodHandler>();
  private readonly listeners: Listener[] = [];
  readonly sessions = new Set<ServerSession>();
  readonly locks = new LockTable();
  readonly limitGuard: LimitGuard;
  readonly auditor: Auditor;
  private unixSessions = 0;
  private closed = false;

  constructor(options: ServerOptions = {}) {
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    const l = { ...options.limits };
    if (options.maxMessageBytes !== undefined) l.maxMessageBytes = options.maxMessageBytes;
    if (options.maxDepth !== undefined) l.maxDepth = options.maxDepth;
    if (options.maxSendBacklog !== undefined) l.maxSendBacklog = options.maxSendBacklog;
    this.limitGuard = new LimitGuard(l, this.logger);
    // Without a logger there is nowhere to write audit lines unless a file is configured.
    this.auditor = new Auditor({ ...options.audit, logger: options.audit?.logger ?? options.logger });
    this.attach(this.serverDb, this.serverDb.schema);
  }

  /** Serves `db` under its name (replacing nothing: a second database with the same name is an error). */
  addDatabase(db: Database): void {
    if (this.dbs.has(db.name)) throw new OvsError('OVS_E_DB_EXISTS', `a database named ${db.name} is already served`);
    const schema = (db as Database & { schema?: DatabaseSchema }).schema ?? parseSchema(db.schemaJson);
    this.attach(db, schema);
  }

  /** Stops serving `name`; monitors on it are canceled (monitor_canceled to db-change-aware clients). */
  removeDatabase(name: string): void {
    const e = this.dbs.get(name);
    if (!e || name === SERVER_DB_NAME) return;
    e.unsubscribe();
    this.dbs.delete(name);
    this.serverDb.removeDatabase(name);
    for (const s of this.sessions) s.databaseRemoved(name);
  }

  /** Serves `db` (a converted copy) in place of the database of the same name, as ovsdb-server
   *  does after "convert": when the schema version changed, clients that are not db-change-aware
   *  are disconnected; every monitor of the database is canceled (monitor_canceled to the
   *  db-change-aware ones); _Server's row shows the new schema. */
  replaceDatabase(db: Database, schema: DatabaseSchema): void {
    const old = this.dbs.get(db.name);
    if (!old) throw new OvsError('OVS_E_NO_DB', `no database named ${db.name} is served`);
    if (old.schema.version !== schema.version) {
      for (const s of [...this.sessions]) {
        if (!s.dbChangeAware) s.connection.close(`database ${db.name} schema changed`);
      }
      this.logger.info(`database ${db.name} schema changed: disconnecting clients that are not db-change-aware`);
    }
    old.unsubscribe();
    this.dbs.delete(db.name);
    for (const s of this.sessions) s.databaseRemoved(db.name);
    this.attach(db, schema);
  }

  /** @internal The server's converter, if it has one. */
  get converter(): ServerOptions['convertDatabase'] {
    return this.options.convertDatabase;
  }

  get databaseNames(): string[] {
    return [...this.dbs.keys()].sort();
  }

  database(name: string): Database | undefined {
    return this.dbs.get(name)?.db;
  }

  private attach(db: Database, schema: DatabaseSchema): void {
    const entry: DbEntry = {
      db, schema, schemaJson: normalizedSchemaJson(schema), history: new TxnHistory(this.options.txnHistory ?? DEFAULT_TXN_HISTORY),
      feed: new ChangeFeed(), rowTexts: new RowTextCache(), unsubscribe: () => {},
    };
    entry.unsubscribe = db.onCommit((change) => {
      entry.history.commit(change, entry.feed.sinceMonitorCount > 0);
      entry.feed.append(change);
      if (entry.feed.monitorCount > 0) this.scheduleMonitorFlush();
    });
    this.dbs.set(db.name, entry);
    this.serverDb.setDatabase(db.name, stringifyJson(entry.schemaJson));
  }

  private monitorFlushScheduled = false;

  /** At the end of this event-loop turn, sends every session that is keeping up with its output
   *  the updates its monitors held during the turn: all commits of a turn go out as one merged
   *  update per monitor, composed once per monitor shape. Sessions with unsent output get theirs
   *  when the output drains (ovsdb-server also flushes monitors only for sessions with no
   *  backlog, once per main-loop iteration). */
  /** @internal */
  scheduleMonitorFlush(): void {
    if (this.monitorFlushScheduled) return;
    this.monitorFlushScheduled = true;
    setImmediate(() => {
      this.monitorFlushScheduled = false;
      for (const e of this.dbs.values()) e.feed.reset();
      for (const s of this.sessions) {
        try {
          if (s.connection.writeBlocked) s.accountHeld();
          else s.flushHeld();
        } catch (e) {
          // One session's monitor failing must not keep the update from the others.
          this.logger.err(`${s.name}: cannot compose monitor update: ${(e as Error).message}, disconnecting`);
          s.connection.close('monitor update failed');
        }
      }
      for (const e of this.dbs.values()) e.feed.endRound();
    });
  }

  /** @internal */
  entry(name: string): DbEntry | undefined {
    return this.dbs.get(name);
  }

  /** Adds a method (management API). Built-in OVSDB methods cannot be replaced. */
  registerMethod(name: string, handler: MethodHandler): void {
    if (BUILTIN_METHODS.has(name)) throw new OvsError('OVS_E_METHOD_EXISTS', `"${name}" is a built-in OVSDB method`);
    this.methods.set(name, handler);
  }

  /** @internal */
  method(name: string): MethodHandler | undefined {
    return this.methods.get(name);
  }

  /** Listens on punix:PATH, ptcp:[PORT][:IP] or pssl:[PORT][:IP]; resolves with the bound listener. */
  async listen(remote: string, options: { tls?: TlsFiles; probeIntervalMs?: number; settings?: RemoteSettings } = {}): Promise<Listener> {
    const r = parsePassiveRemote(remote);
    const probe = r.kind === 'punix' ? 0 : options.probeIntervalMs ?? this.options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    const settings = options.settings ?? {};
    const l = await listenRemote(remote, (sock, peer) => this.accept(sock, peer, { probeIntervalMs: probe }, settings),
      { tls: options.tls ?? this.options.tls });
    this.listeners.push(l);
    this.logger.info(`listening on ${l.remote}`);
    if (l.pipeAccess) { if (l.pipeAccess.ok) this.logger.info(l.pipeAccess.message); else this.logger.warn(l.pipeAccess.message); }
    return l;
  }

  /** Serves one already-connected stream (also usable in-process with a socket pair). */
  accept(stream: Duplex, peer = 'stream', extra: ConnectionOptions = {}, settings: RemoteSettings = {}): ServerSession {
    // Unix peers are numbered as OVS names them (unix#N), so log lines tell clients apart.
    if (peer === 'unix') peer = `unix#${this.unixSessions++}`;
    const limits = this.limitGuard.limits;
    const conn = new JsonRpcConnection(stream, {
      name: peer,
      logger: this.logger,
      maxMessageBytes: limits.maxMessageBytes,
      maxDepth: limits.maxDepth,
      maxSendBacklog: limits.maxSendBacklog,
      ...extra,
    });
    const s = new ServerSession(this, conn, settings, lazyPeerIdentity(stream));
    if (this.closed) {
      conn.close('server is shutting down');
      return s;
    }
    const over = this.limitGuard.check('maxConnections', this.sessions.size + 1, peer, 'connection refused');
    if (over) {
      conn.sendError(null, over.toJson());
      conn.close(over.message);
      return s;
    }
    this.sessions.add(s);
    conn.onClose((reason) => {
      this.limitGuard.noteClose(reason);
      this.sessions.delete(s);
      s.closed();
      this.logger.dbg(`${peer}: connection closed (${reason ?? 'closed'})`);
    });
    return s;
  }

  async close(): Promise<void> {
    this.closed = true;
    const ls = this.listeners.splice(0);
    for (const s of [...this.sessions]) s.connection.close('server is shutting down');
    await Promise.all(ls.map((l) => l.close()));
    for (const e of this.dbs.values()) e.unsubscribe();
    this.auditor.flushPending();
  }
}

interface SessionMonitor {
  db: string;
  monitor: Monitor;
}

/** One client connection: its monitors, locks and in-flight transactions. */
export class ServerSession implements TransactSession, LockHolder {
  private sessionId: string | undefined;
  readonly server: OvsdbServer;
  readonly connection: JsonRpcConnection;
  private readonly identify: () => PeerIdentity;
  private readonly settings: RemoteSettings;
  private readonly monitors = new Map<string, SessionMonitor>();
  private readonly inFlight = new Map<string, AbortController>();
  /** Requests answered asynchronously and not answered yet. */
  private pendingReplies = 0;
  dbChangeAware = false;

  constructor(server: OvsdbServer, connection: JsonRpcConnection, settings: RemoteSettings = {}, peer: PeerIdentity | (() => PeerIdentity) = { transport: 'stream' }) {
    this.server = server;
    this.connection = connection;
    this.settings = settings;
    this.identify = typeof peer === 'function' ? peer : () => peer;
    connection.onRequest = (method, params, id) => this.request(method, params, id);
    connection.onNotification = (method, params) => this.notification(method, params);
    // Updates held while the peer was not reading go out in the next flush round.
    connection.onDrain(() => {
      if (this.hasHeld()) this.server.scheduleMonitorFlush();
    });
  }

  /** A unique id (TransactSession), made on first use: nothing reads it for most sessions, and
   *  each accepted connection's set-up is on its first request's round trip. */
  get id(): string {
    return (this.sessionId ??= randomUUID());
  }

  get name(): string {
    return this.connection.name;
  }

  /** Who the peer is (credentials, certificate); see lazyPeerIdentity. */
  get peer(): PeerIdentity {
    return this.identify();
  }

  /** The RBAC role of the remote this client came through ('' = unrestricted); read live. */
  get role(): string {
    return this.settings.role ?? '';
  }

  /** The client id RBAC compares against: the TLS certificate CN (none for other transports). */
  get clientId(): string | undefined {
    return this.peer.cn;
  }

  holdsLock(name: string): boolean {
    return this.server.locks.owner(name) === this;
  }

  notify(method: string, params: Json[]): void {
    this.connection.notify(method, params);
  }

  notifyLock(method: 'locked' | 'stolen', name: string): void {
    this.notify(method, [name]);
  }

  /** Set once an audit line waits for this session's peer identity (see learnPeerSoon). */
  private peerWanted = false;

  /** The audit line is written later, in a batch, when the peer may have gone (and with it its
   *  credentials); identifying it now would delay the reply (a unix peer's credentials cost a few
   *  hundred microseconds, once per connection). So: right after this turn's replies went out,
   *  and at the latest when the connection closes. */
  private learnPeerSoon(): void {
    if (this.peerWanted) return;
    this.peerWanted = true;
    setImmediate(() => { void this.peer; });
  }

  private hasHeld(): boolean {
    for (const m of this.monitors.values()) {
      if (this.server.entry(m.db)?.feed.hasPending(m.monitor)) return true;
    }
    return false;
  }

  /** Bytes of updates held (about) since the peer stopped reading; see accountHeld. */
  private heldBytes = 0;

  /** @internal A flush round found the peer not reading what we sent: its monitors keep holding
   *  their updates; count what it falls behind by, and drop it when that plus its unsent output
   *  passes the send backlog limit (a stuck peer must not cost unbounded memory). */
  accountHeld(): void {
    for (const m of this.monitors.values()) {
      const e = this.server.entry(m.db);
      if (e && e.feed.hasPending(m.monitor)) this.heldBytes += e.feed.roundBytes(m.monitor);
    }
    if (this.heldBytes > 0) this.connection.checkBacklog(this.heldBytes);
  }

  /** @internal Sends the updates held for `only` (or for every monitor), merged per monitor. */
  flushHeld(only?: SessionMonitor): void {
    if (!only) this.heldBytes = 0;
    for (const m of only ? [only] : this.monitors.values()) {
      const e = this.server.entry(m.db);
      if (!e) continue;
      const text = e.feed.takeNotification(m.monitor);
      if (text !== undefined) this.connection.sendText(text);
      if (this.connection.closed) return;
    }
  }

  private sendUpdate(monitor: Monitor, updates: JsonObject, txnId: string): void {
    switch (monitor.version) {
      case 1: this.notify('update', [monitor.id, updates]); break;
      case 2: this.notify('update2', [monitor.id, updates]); break;
      case 3: this.notify('update3', [monitor.id, txnId, updates]); break;
    }
  }

  /** @internal */
  databaseRemoved(db: string): void {
    for (const [key, m] of this.monitors) {
      if (m.db !== db) continue;
      this.monitors.delete(key);
      if (this.dbChangeAware) this.notify('monitor_canceled', [m.monitor.id]);
    }
  }

  /** @internal The connection is gone: drop monitors, locks, blocked transactions. */
  closed(): void {
    // An audit line still waiting names the peer: learn who it is while our end is still open.
    if (this.peerWanted) void this.peer;
    for (const m of this.monitors.values()) this.server.entry(m.db)?.feed.remove(m.monitor);
    this.monitors.clear();
    for (const c of this.inFlight.values()) c.abort();
    this.inFlight.clear();
    for (const name of this.server.locks.namesOf(this)) this.server.locks.unlock(name, this);
  }

  private notification(method: string, params: Json[]): void {
    if (method === 'cancel') {
      // RFC 7047 §4.1.4: params [id of an outstanding request].
      if (params.length === 1) this.inFlight.get(stringifyJson(params[0]))?.abort();
      return;
    }
    this.server.logger.dbg(`${this.name}: ignoring notification "${method}"`);
  }

  private request(method: string, params: Json[], id: Json): void {
    let result: Json | EncodedResult | Promise<Json>;
    try {
      const over = this.server.limitGuard.check('maxInFlightPerSession', this.pendingReplies + 1, this.name);
      if (over) throw over;
      result = this.dispatch(method, params, id);
    } catch (e) {
      this.connection.sendError(id, e instanceof ReplyError ? e.json : errorJson(e));
      return;
    }
    if (result instanceof Promise) {
      this.pendingReplies++;
      result.then(
        (r) => {
          this.pendingReplies--;
          // This session's own monitors see its commit before its reply does.
          if (method === 'transact' && this.monitors.size > 0) this.flushHeld();
          this.connection.sendReply(id, r);
        },
        (e) => {
          this.pendingReplies--;
          if (e instanceof ReplyError) this.connection.sendError(id, e.json);
          else this.connection.sendError(id, errorJson(e));
        },
      );
    } else if (result instanceof EncodedResult) {
      this.connection.sendText(replyText(id, result.text));
    } else if (method === 'transact') {
      // A transaction answered at once (it did not wait): as in the promise path above.
      if (this.monitors.size > 0) this.flushHeld();
      this.connection.sendReply(id, result);
    } else {
      this.connection.sendReply(id, result);
    }
  }

  private dispatch(method: string, params: Json[], id: Json): Json | EncodedResult | Promise<Json> {
    switch (method) {
      case 'list_dbs': return this.server.databaseNames;
      case 'get_schema': {
        // Every OVS client asks for it on connecting: serialise it once.
        const e = this.entryFor(method, params);
        e.schemaText ??= stringifyJson(e.schemaJson);
        return new EncodedResult(e.schemaText);
      }
      case 'get_server_id': return this.server.serverId;
      case 'transact': return this.transact(params, id);
      case 'monitor': return this.monitor(method, params, 1);
      case 'monitor_cond': return this.monitor(method, params, 2);
      case 'monitor_cond_since': return this.monitor(method, params, 3);
      case 'monitor_cond_change': return this.monitorCondChange(params);
      case 'monitor_cancel': return this.monitorCancel(params);
      case 'lock': case 'steal': case 'unlock': return this.lockMethod(method, params);
      case 'convert': return this.convert(params);
      case 'set_db_change_aware':
        if (params.length !== 1 || typeof params[0] !== 'boolean') {
          throw new OvsdbError('syntax error', 'set_db_change_aware: true or false parameter expected', params);
        }
        this.dbChangeAware = params[0];
        return {};
      case 'echo': return params;
    }
    const handler = this.server.method(method);
    if (handler) return this.callMethod(method, handler, params);
    throw new ReplyError('unknown method');
  }

  /** A registered (management) method: refused to clients with an RBAC role (it would bypass the
   *  role's table rules), audited for everyone else. */
  private async callMethod(method: string, handler: MethodHandler, params: Json[]): Promise<Json> {
    const auditor = this.server.auditor;
    const who = { name: this.name, peer: this.peer, role: this.role || undefined };
    if (this.role !== '' || this.settings.readOnly) {
      const reply = this.role !== ''
        ? { error: 'permission error', details: `RBAC rules for client "${this.clientId ?? '(null)'}" role "${this.role}" prohibit management method "${method}".` }
        : { error: 'not allowed', details: `management method "${method}" not allowed on a read-only connection` };
      auditor.record(who, { kind: 'method', target: method, summary: summarizeParams(params), outcome: 'denied', error: reply.details });
      throw new ReplyError(reply);
    }
    if (!auditor.enabled || isReadOnlyCall(method, params)) return handler(params, this);
    try {
      const r = await handler(params, this);
      auditor.record(who, { kind: 'method', target: method, summary: summarizeParams(params), outcome: 'ok' });
      return r;
    } catch (e) {
      auditor.record(who, { kind: 'method', target: method, summary: summarizeParams(params), outcome: 'failed', error: (e as Error).message });
      throw e;
    }
  }

  private entryFor(method: string, params: Json[]): DbEntry {
    const name = params[0];
    if (typeof name !== 'string') {
      throw new OvsdbError('syntax error', `${method} request params must begin with <db-name>`, params);
    }
    const e = this.server.entry(name);
    if (!e) throw new OvsdbError('unknown database', `${method} request specifies unknown database ${name}`, params);
    return e;
  }

  /** transact: answered synchronously when the transaction does not wait (the usual case, on a
   *  database with `transactNow` and a connection without RBAC role or read-only setting),
   *  otherwise through transactAsync. */
  private transact(params: Json[], id: Json): Json[] | Promise<Json> {
    const e = this.entryFor('transact', params);
    const ops = params.slice(1);
    const tooMany = this.server.limitGuard.check('maxOpsPerTransaction', ops.length, this.name);
    if (tooMany) throw tooMany;
    const db = e.db;
    if (this.role === '' && !this.settings.readOnly && db.transactNow !== undefined) {
      try {
        const results = db.transactNow(ops, { session: this, maxRows: this.server.limitGuard.limits.maxRowsPerTransaction, onLimit: this.rowLimitHit });
        if (results) return this.transactDone(e, ops, results);
      } catch (err) {
        if (err instanceof TransactCanceledError) throw new ReplyError('canceled');
        this.server.logger.err(`${this.name}: transact failed: ${(err as Error).message}`);
        throw err;
      }
    }
    return this.transactAsync(e, ops, id);
  }

  /** A transaction's commit went over maxRowsPerTransaction: the breach is counted and logged. */
  private readonly rowLimitHit = (breach: LimitError): void => {
    this.server.limitGuard.check('maxRowsPerTransaction', breach.seen, this.name, 'transaction aborted, nothing committed');
  };

  /** After a transaction: its audit record. */
  private transactDone(e: DbEntry, ops: Json[], results: Json[]): Json[] {
    if (this.server.auditor.enabled && hasWriteOps(ops)) {
      const dbName = e.db.name;
      // The event's text is made now, so the batch holds only text, not the request and its
      // results. Without an audit file, the line itself is composed and written later, in a
      // batch (Auditor.record).
      const o = transactOutcome(ops, results);
      const summary = summarizeOps(ops, results);
      const event: AuditEvent = o.error === undefined ? { kind: 'transact', target: dbName, summary, outcome: o.outcome }
        : { kind: 'transact', target: dbName, summary, outcome: o.outcome, error: o.error };
      if (this.server.auditor.record(new SessionAuditClient(this), event)) this.learnPeerSoon();
    }
    return results;
  }

  private async transactAsync(e: DbEntry, ops: Json[], id: Json): Promise<Json> {
    // Most transactions never wait, so the cancelable in-flight entry is made only when one
    // blocks (synchronously inside transact, before any later `cancel` can be read).
    let key: string | undefined;
    let ctl: AbortController | undefined;
    const cancelSignal = (): AbortSignal => {
      ctl = new AbortController();
      key = stringifyJson(id);
      this.inFlight.set(key, ctl);
      return ctl.signal;
    };
    try {
      const client = this.role !== '' ? { role: this.role, id: this.clientId } : undefined;
      const topts = { session: this, cancelSignal, maxRows: this.server.limitGuard.limits.maxRowsPerTransaction, onLimit: this.rowLimitHit };
      const results = this.settings.readOnly ? await readOnlyTransact(e.db, ops, topts)
        : rbacApplies(e.schema, client, ops) ? await rbacTransact(e.db, e.schema, ops, client!, topts)
          : await e.db.transact(ops, topts);
      return this.transactDone(e, ops, results);
    } catch (err) {
      if (err instanceof TransactCanceledError || ctl?.signal.aborted) throw new ReplyError('canceled');
      this.server.logger.err(`${this.name}: transact failed: ${(err as Error).message}`);
      throw err;
    } finally {
      if (key !== undefined && this.inFlight.get(key) === ctl) this.inFlight.delete(key);
    }
  }

  private monitor(method: string, params: Json[], version: MonitorVersion): Json | EncodedResult {
    const e = this.entryFor(method, params);
    const want = version === 3 ? 4 : 3;
    if (params.length !== want) {
      throw new OvsdbError('syntax error', `${method} request params must be [<db-name>, <monitor-id>, <monitor-requests>${version === 3 ? ', <last-txn-id>' : ''}]`, params);
    }
    const id = params[1]!;
    const key = stringifyJson(id);
    if (this.monitors.has(key)) throw new OvsdbError('syntax error', 'duplicate monitor ID', id);
    const tooMany = this.server.limitGuard.check('maxMonitorsPerSession', this.monitors.size + 1, this.name);
    if (tooMany) throw tooMany;
    let since: string | undefined;
    if (version === 3) {
      const t = params[3];
      if (typeof t !== 'string' || !isUuid(t)) throw new OvsdbError('syntax error', 'last-txn-id must be UUID format.', t ?? null);
      since = t.toLowerCase();
    }
    const tables = parseMonitorRequests(e.schema, params[2], version);
    const monitor = new Monitor(id, version, tables, shapeKeyOf(version, params[2]!));
    this.monitors.set(key, { db: e.db.name, monitor });
    e.feed.add(monitor);
    const rows = (t: string) => e.db.rows(t);
    const versioned = e.db.versionedRows ? (t: string) => e.db.versionedRows!(t) : undefined;
    if (version !== 3) return new EncodedResult(monitor.initialText(rows, e.rowTexts, versioned));
    const last = e.db.lastTxnId;
    const known = since !== undefined && since !== ZERO_UUID ? since : undefined;
    const later = known !== undefined && known !== last ? e.history.since(known) : undefined;
    e.history.told(last);
    if (known === last) return [true, last, {}];
    if (later) return [true, last, monitor.updates(mergeChanges(later)) ?? {}];
    return new EncodedResult(`[false,${stringifyJson(last)},${monitor.initialText(rows, e.rowTexts, versioned)}]`);
  }

  private monitorCondChange(params: Json[]): Json {
    if (params.length !== 3) {
      throw new OvsdbError('syntax error', 'monitor_cond_change request params must be [<old-monitor-id>, <new-monitor-id>, <monitor-cond-change-requests>]', params);
    }
    const [oldId, newId, reqs] = params as [Json, Json, Json];
    const oldKey = stringifyJson(oldId);
    const newKey = stringifyJson(newId);
    const m = this.monitors.get(oldKey);
    if (!m) throw new OvsdbError('syntax error', 'unknown monitor session', oldId);
    if (newKey !== oldKey && this.monitors.has(newKey)) throw new OvsdbError('syntax error', 'duplicate monitor ID', newId);
    if (m.monitor.version === 1) throw new OvsdbError('syntax error', 'monitor_cond_change is not supported for monitors created by "monitor"', oldId);
    if (reqs === null || typeof reqs !== 'object' || Array.isArray(reqs)) {
      throw new OvsdbError('syntax error', 'monitor-cond-change-requests must be an object', reqs);
    }
    const e = this.server.entry(m.db)!;
    // Held updates were composed for the old conditions: send them first.
    this.flushHeld(m);
    const newWhere = new Map<string, ReturnType<typeof compileCondition>>();
    for (const [table, reqJson] of Object.entries(reqs)) {
      const tm = m.monitor.tables.get(table);
      if (!tm) throw new OvsdbError('syntax error', `no table named ${table}`);
      const list = Array.isArray(reqJson) ? reqJson : [reqJson];
      let everyRow = false;
      const preds: NonNullable<ReturnType<typeof compileCondition>>[] = [];
      for (const r of list) {
        if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new OvsdbError('syntax error', 'monitor-cond-change-request must be an object', r);
        if (r.columns !== undefined) throw new OvsdbError('syntax error', 'changing columns is unsupported', r);
        const p = compileCondition(tm.table, r.where);
        if (p) preds.push(p); else everyRow = true;
      }
      newWhere.set(table, everyRow || preds.length === 0 ? undefined : preds.length === 1 ? preds[0] : (row) => preds.some((p) => p(row)));
    }
    if (newKey !== oldKey) {
      this.monitors.delete(oldKey);
      m.monitor.id = newId;
      this.monitors.set(newKey, m);
    }
    // Other monitors with the old shape keep their conditions: this one now has its own.
    m.monitor.shapeKey = uniqueShapeKey();
    const u = m.monitor.changeConditions(newWhere, (t) => e.db.rows(t));
    if (u) this.sendUpdate(m.monitor, u, e.db.lastTxnId);
    return {};
  }

  private monitorCancel(params: Json[]): Json {
    const key = params.length === 1 ? stringifyJson(params[0]) : undefined;
    const m = key === undefined ? undefined : this.monitors.get(key);
    if (key === undefined || !m) throw new ReplyError('unknown monitor');
    this.monitors.delete(key);
    this.server.entry(m.db)?.feed.remove(m.monitor);
    return {};
  }

  /** convert [<db-name>, <schema>]: the database, converted to the new schema, is served and
   *  stored in its place (ovsdb-server's "convert" trigger, standalone databases). */
  private convert(params: Json[]): Json {
    const e = this.entryFor('convert', params);
    const dbName = e.db.name;
    if (this.role !== '') {
      throw new OvsdbError('permission error', `RBAC rules for client "${this.clientId ?? '(null)'}" role "${this.role}" prohibit "convert" of database ${dbName} (only the root role may convert databases)`);
    }
    if (this.settings.readOnly || dbName === SERVER_DB_NAME) throw new OvsdbError('not allowed', `conversion is not allowed for read-only database ${dbName}`);
    if (params.length !== 2) throw new OvsdbError('syntax error', 'array expected', params);
    let schema: DatabaseSchema;
    try {
      schema = parseSchema(params[1]);
    } catch (err) {
      // OVS's reply: the schema error's own tag, details and offending JSON.
      if (err instanceof OvsSchemaError) throw new OvsdbError(err.tag, err.details, err.syntaxJson);
      throw new OvsdbError('syntax error', (err as Error).message, params[1]);
    }
    if (schema.name !== dbName) throw new OvsdbError('invalid parameters', `new schema name (${schema.name}) does not match database name (${dbName})`);
    const converter = this.server.converter;
    if (!converter) throw new OvsdbError('not allowed', `conversion is not supported for database ${dbName} by this server`);
    const converted = converter(dbName, schema);
    this.server.logger.info(`${this.name}: database ${dbName} converted to schema version ${schema.version}`);
    this.server.replaceDatabase(converted, schema);
    return {};
  }

  private lockMethod(method: 'lock' | 'steal' | 'unlock', params: Json[]): Json {
    const name = params[0];
    if (params.length !== 1 || typeof name !== 'string' || !isId(name)) {
      throw new OvsdbError('syntax error', `${method} request params must be <id>`, params);
    }
    const locks = this.server.locks;
    if (method === 'unlock') {
      if (!locks.unlock(name, this)) {
        throw new OvsdbError('syntax error', 'unlock: "unlock" without "lock" or "steal"', params);
      }
      return {};
    }
    if (locks.isQueued(name, this)) {
      throw new OvsdbError('syntax error', `must issue "unlock" before new "${method}"`, params);
    }
    if (method === 'lock') return { locked: locks.lock(name, this) };
    locks.steal(name, this);
    return { locked: true };
  }
}

/** The audit view of a session at one transaction: its name and role then, and its peer identity,
 *  learnt once per connection and cached (see ServerSession.learnPeerSoon), read when the line is
 *  written. A class, not an object literal with a getter: V8 builds such a literal's accessor anew
 *  each time, which cost ~4 us per audited transaction. */
class SessionAuditClient implements AuditClient {
  readonly name: string;
  readonly role: string | undefined;
  constructor(private readonly session: ServerSession) {
    this.name = session.name;
    this.role = session.role || undefined;
  }

  get peer(): PeerIdentity {
    return this.session.peer;
  }
}

/** A result already serialised as JSON text (sent as is). */
class EncodedResult {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** A JSON-RPC error whose `error` member is given as is (OVS answers some with a bare string). */
class ReplyError extends Error {
  readonly json: Json;
  constructor(json: Json) {
    super(typeof json === 'string' ? json : stringifyJson(json));
    this.json = json;
  }
}
