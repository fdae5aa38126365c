// What every ovsdb-client command works with: the parsed options, the connection to the server
// (opened as OVS's open_rpc opens it: an optional SERVER argument, then an optional DATABASE
// argument picked from the server's databases), the table printer, and OVS's fatal errors.
import type { Json, JsonObject } from '../ovsdb/api.js';
import { connectOvsdb, type RpcOvsdbClient } from '../rpc/client.js';
import { RpcError } from '../rpc/errors.js';
import { tlsFilesFor, type TlsFiles } from '../rpc/tls-files.js';
import { causeText } from '../util/errno-text.js';
import { OvsError } from '../util/errors.js';
import { ovsRundir } from '../util/ovs-paths.js';
import { formatTable, type OutTable } from '../vsctl/out-table.js';
import { ovsJsonToText } from '../vsctl/json-text.js';
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
  ssl: Partial<TlsFiles>;
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
   *  database already set (transact, convert) is not looked up. */
  async open(args: string[], minArgs: number, need: Need): Promise<string[]> {
    const rest = [...args];
    this.server = rest.length > minArgs && looksLikeRemote(rest[0]) ? rest.shift()! : defaultRemote();
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

  async connect(server: string): Promise<RpcOvsdbClient> {
    let tls: TlsFiles | undefined;
    try {
      tls = tlsFilesFor(server, this.options.ssl);
    } catch (e) {
      fatal(`failed to connect to "${server}" (${(e as Error).message})`);
    }
    try {
      return await connectOvsdb(server, { tls });
    } catch (e) {
      fatal(`failed to connect to "${server}" (${causeText(e)})`);
    }
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
      fatal(`transaction failed (${causeText(e)})`);
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
        if (this.options.dbChangeAware === 1) fatal(`${this.server}: set_db_change_aware failed (${ovsJsonToText(e.error)})`);
        return;
      }
      fatal(`${this.server}: error setting db_change_aware (${causeText(e)})`);
    }
  }

  async close(): Promise<void> {
    await this.rpc?.close();
  }
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
