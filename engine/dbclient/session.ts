// What every ovsdb-client command works with: the parsed options, the connection to the server
// (opened as OVS's open_rpc opens it: an optional SERVER argument, then an optional DATABASE
// argument picked from the server's databases), the table printer, and OVS's fatal errors.
import type { Json, JsonObject } from '../ovsdb/api.js';
import { connectOvsdb, RpcOvsdbClient } from '../rpc/client.js';
import { listenRemote, parseActiveTarget } from '../rpc/stream.js';
import { vlog } from '../util/vlog.js';
import type { DaemonOptions } from '../util/daemon.js';
import { ReconnectingSession } from './reconnect.js';
import { ConnectionClosedError, RpcError } from '../rpc/errors.js';
import type { JsonRpcMessage } from '../rpc/jsonrpc.js';
import { tlsFilesFor, type TlsFiles } from '../rpc/tls-files.js';
import { causeText } from '../util/errno-text.js';
import { OvsError } from '../util/errors.js';
import { ovsRundir } from '../util/ovs-paths.js';
import { formatTable, type OutTable } from '../vsctl/out-table.js';
import { ovsJsonToText, ovsJsonToTextUnsorted } from '../vsctl/json-text.js';
import type { TableStyle } from '../vsctl/types.js';
import { schemaView, type SchemaView } from './schema-view.js';

/** ovsdb-client gives up: the message goes to stderr after "ovsdb-client: ", exit status 1. */
export class ClientFatalError extends OvsError {
  constructor(message: string) {
    super('OVS_E_CLIENT_FATAL', message);
  }
}

export function fatal(message: string): never {
  throw new ClientFatalError(message);
}

export interface ClientOptions {
  style: TableStyle;
  /** --timestamp: a time line before each table "monitor" prints. */
  timestamp: boolean;
  /** --force: restore into a database whose schema differs. */
  force: boolean;
  /** --db-change-aware (1), --no-db-change-aware (0), or use it when the server has it (-1). */
  dbChangeAware: -1 | 0 | 1;
  /** With several remotes, take a clustered database only from its leader (--no-leader-only: any). */
  leaderOnly: boolean;
  ssl: Partial<TlsFiles>;
  /** --detach, --pidfile, --no-chdir...: monitor, lock, transact and query can run as daemons. */
  daemon: DaemonOptions;
}

export type Need = 'none' | 'rpc' | 'database';

export function defaultRemote(): string {
  return `unix:${ovsRundir()}/db.sock`;
}

/** Whether a command-line argument is a SERVER: starts with a letter and has a colon. */
export function looksLikeRemote(s: string | undefined): s is string {
  return s !== undefined && /^[A-Za-z]/.test(s) && s.includes(':');
}

export class ClientSession {
  readonly options: ClientOptions;
  private readonly write: (s: string) => void;
  private firstTable = true;
  rpc?: RpcOvsdbClient;
  /** The SERVER as OVS names the connection in messages. */
  server = '';
  database = '';

  constructor(options: ClientOptions, write: (s: string) => void) {
    this.options = options;
    this.write = write;
  }

  out(s: string): void {
    this.write(s);
  }

  /** lib/table.c's table_print: the second and later tables start with an empty line. */
  printTable(t: OutTable): void {
    this.write(formatTable(t, this.options.style, this.firstTable));
    if (this.options.style.format !== 'html' && this.options.style.format !== 'json') this.firstTable = false;
  }

  /** print_json: sorted members, pretty with --pretty. */
  printJson(j: Json): void {
    this.write(ovsJsonToText(j, this.options.style.pretty) + '\n');
  }

  jsonText(j: Json): string {
    return ovsJsonToText(j, this.options.style.pretty);
  }

  /** open_rpc: takes SERVER (and, for `need` "database", DATABASE) off the front of `args` when
   *  there are more than `minArgs` of them, connects, and returns the remaining arguments. A
   *  database already set (transact, convert) is not looked up. SERVER may list several remotes
   *  separated by commas: they are tried in turn, and one that does not serve the database (in a
   *  usable state) is left for the next. */
  async open(args: string[], minArgs: number, need: Need): Promise<string[]> {
    const rest = [...args];
    this.server = rest.length > minArgs && looksLikeRemote(rest[0]) ? rest.shift()! : defaultRemote();
    const remotes = this.server.split(',').filter((r) => r !== '');
    if (remotes.length > 1) {
      if (need === 'database' && this.database === '') {
        if (rest.length > minArgs) this.database = rest.shift()!;
        else fatal('database name is required with multiple remotes');
      }
      this.rpc = await this.openMultiple(remotes);
      return rest;
    }
    this.rpc = await this.connect(this.server);
    if (need === 'database' && this.database === '') {
      const dbs = await this.listDbs();
      if (rest.length > minArgs && dbs.includes(rest[0]!)) this.database = rest.shift()!;
      else if (dbs.includes('Open_vSwitch')) this.database = 'Open_vSwitch';
      else {
        const plain = dbs.filter((d) => !d.startsWith('_'));
        if (plain.length !== 1) fatal('could not find a default database, please specify a database name');
        this.database = plain[0]!;
      }
    }
    return rest;
  }

  /** The first of several remotes that is up and serves the database: standalone, or clustered
   *  and connected (and the leader, unless --no-leader-only). */
  private async openMultiple(remotes: string[]): Promise<RpcOvsdbClient> {
    const session = new ReconnectingSession(remotes, false, (r) => this.connectActive(r));
    for (;;) {
      const rpc = await session.connect();
      if (!rpc) fatal('no servers were available');
      // Messages name the remote in use, as OVS's jsonrpc_get_name does.
      this.server = session.name;
      if (this.database === '') return rpc;
      let reply: Json;
      try {
        reply = await rpc.request('transact', ['_Server', { op: 'select', table: 'Database', where: [['name', '==', this.database]] }]);
      } catch {
        session.closedByPeer();
        continue;
      }
      const rows = Array.isArray(reply) && reply.length === 1 && reply[0] !== null && typeof reply[0] === 'object' && !Array.isArray(reply[0]) ? reply[0].rows : undefined;
      const row = Array.isArray(rows) ? rows.find((r) => r !== null && typeof r === 'object' && !Array.isArray(r) && r.name === this.database) as JsonObject | undefined : undefined;
      if (row && (row.model === 'standalone' || (row.connected === true && (!this.options.leaderOnly || row.leader === true)))) return rpc;
      await rpc.close();
      session.dropped();
    }
  }

  /** open_jsonrpc: an active remote, or a passive one (punix:, ptcp:, pssl:) on which the first
   *  connection to arrive is taken. */
  async connect(server: string): Promise<RpcOvsdbClient> {
    if (/^p(unix|tcp|ssl):/.test(server)) return this.accept(server);
    try {
      parseActiveTarget(server);
    } catch {
      fatal(`failed to connect or listen to "${server}" (Address family not supported by protocol)`);
    }
    try {
      return await this.connectActive(server);
    } catch (e) {
      fatal(`failed to connect to "${server}" (${causeText(e)})`);
    }
  }

  /** Connects to an active remote; a failure is thrown, not fatal. */
  async connectActive(server: string): Promise<RpcOvsdbClient> {
    // stream_open_with_default_port: a tcp:/ssl: target without a port gets 6640, with a warning
    // (once per process).
    if (/^(tcp|ssl):/.test(server) && server.replace(/\[[^\]]*\]/g, '').split(':').length < 3 && !this.portWarned) {
      this.portWarned = true;
      vlog.module('stream').warn('The default OVSDB port number has changed from 6632 to 6640');
    }
    let tls: TlsFiles | undefined;
    try {
      tls = tlsFilesFor(server, this.options.ssl);
    } catch (e) {
      fatal(`failed to connect to "${server}" (${(e as Error).message})`);
    }
    return connectOvsdb(server, { tls, ...jsonrpcTrace(server) });
  }

  private portWarned = false;

  private async accept(server: string): Promise<RpcOvsdbClient> {
    let tls: TlsFiles | undefined;
    try {
      tls = tlsFilesFor(server.slice(1), this.options.ssl);
    } catch (e) {
      fatal(`failed to connect or listen to "${server}" (${(e as Error).message})`);
    }
    let take: (sock: import('node:net').Socket) => void = () => {};
    const first = new Promise<import('node:net').Socket>((resolve) => { take = resolve; });
    let listener;
    try {
      listener = await listenRemote(server, (sock) => take(sock), { tls });
    } catch (e) {
      fatal(`failed to connect or listen to "${server}" (${causeText(e)})`);
    }
    vlog.module('ovsdb_client').info(`${server}: waiting for connection...`);
    const sock = await first;
    // Stop listening (not awaited: a server's close completes only when its connections end).
    void listener.close();
    return new RpcOvsdbClient(sock, { name: server, ...jsonrpcTrace(server) });
  }

  get client(): RpcOvsdbClient {
    if (!this.rpc) throw new ClientFatalError('not connected');
    return this.rpc;
  }

  /** A request whose failure is fatal as OVS's check_txn makes it: the server's error as JSON,
   *  or the reason the connection failed. */
  async call(method: string, params: Json[]): Promise<Json> {
    try {
      return await this.client.request(method, params);
    } catch (e) {
      if (e instanceof RpcError) fatal(`transaction returned error: ${this.jsonText(e.error)}`);
      fatal(`transaction failed (${e instanceof ConnectionClosedError ? 'End of file' : causeText(e)})`);
    }
  }

  async listDbs(): Promise<string[]> {
    const r = await this.call('list_dbs', []);
    if (!Array.isArray(r)) fatal('list_dbs response is not array');
    r.forEach((n, i) => { if (typeof n !== 'string') fatal(`list_dbs response ${i} is not string`); });
    return (r as string[]).sort(byteOrder);
  }

  async fetchSchema(database = this.database): Promise<SchemaView> {
    const r = await this.call('get_schema', [database]);
    try {
      return schemaView(r);
    } catch (e) {
      fatal((e as Error).message);
    }
  }

  /** send_db_change_aware: asked for unless --no-db-change-aware; its failure is fatal only
   *  with --db-change-aware. */
  async sendDbChangeAware(): Promise<void> {
    if (this.options.dbChangeAware === 0) return;
    try {
      await this.client.request('set_db_change_aware', [true]);
    } catch (e) {
      if (e instanceof RpcError) {
        if (this.options.dbChangeAware === 1) fatal(`${this.server}: set_db_change_aware failed (${ovsJsonToTextUnsorted(e.error)})`);
        return;
      }
      fatal(`${this.server}: error setting db_change_aware (${causeText(e)})`);
    }
  }

  async close(): Promise<void> {
    await this.rpc?.close();
  }
}

/** OVS's jsonrpc module logs every message at DBG (-vjsonrpc:dbg): "NAME: send request,
 *  method=..., params=..., id=0", "NAME: received reply, result=..., id=0". */
function jsonrpcTrace(name: string): { trace?: (direction: 'send' | 'received', msg: JsonRpcMessage) => void } {
  const log = vlog.module('jsonrpc');
  if (!log.isEnabled('dbg')) return {};
  return {
    trace: (direction, msg) => {
      let s = '';
      if ('method' in msg) s += `, method="${msg.method}"`;
      if ('params' in msg) s += `, params=${ovsJsonToTextUnsorted(msg.params)}`;
      if ('result' in msg) s += `, result=${ovsJsonToTextUnsorted(msg.result)}`;
      if ('error' in msg) s += `, error=${ovsJsonToTextUnsorted(msg.error)}`;
      if ('id' in msg) s += `, id=${ovsJsonToTextUnsorted(msg.id)}`;
      log.dbg(`${name}: ${direction} ${msg.kind}${s}`);
    },
  };
}

export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** check_transaction_reply: every operation's result must be an object without "error". */
export function checkTransactionReply(result: Json): void {
  if (!Array.isArray(result)) fatal('result is not array');
  for (const r of result) {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) fatal('result array element is not object');
    if ('error' in (r as JsonObject)) fatal(`server returned error reply: ${ovsJsonToText(r)}`);
  }
}
