// ovsdb-client's monitor, monitor-cond and monitor-cond-since: the request OVS builds from the
// TABLE and COLUMN arguments, and the tables it prints for the reply and each update (update,
// update2, update3), until the connection ends or the database goes away.
import type { Json, JsonObject } from '../ovsdb/api.js';
import type { ColumnSchema, TableSchema } from '../ovsdb/schema.js';
import { OutTable, type Cell } from '../vsctl/out-table.js';
import { ovsShashOrder } from '../util/ovs-shash.js';
import { OvsdbError } from '../ovsdb/errors.js';
import { causeText } from '../util/errno-text.js';
import { ClientSession, fatal } from './session.js';
import { tablesByName, type ColumnView, type TableView } from './schema-view.js';
import { parseJsonArgument } from './json-arg.js';
import { daemonizeComplete, daemonizeStart, exitCleanly, versionString } from '../util/daemon.js';
import { UnixctlServer } from '../util/unixctl.js';
import { parseOvsJson } from '../util/ovs-json.js';

type Version = 1 | 2 | 3;
const METHOD: Record<Version, string> = { 1: 'monitor', 2: 'monitor_cond', 3: 'monitor_cond_since' };
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

interface MonitoredTable {
  table: TableView;
  columns: ColumnView[];
}

function addColumn(s: ClientSession, c: ColumnView, mt: MonitoredTable, names: string[]): void {
  if (mt.columns.includes(c)) fatal(`${s.server}: column "${c.name}" mentioned multiple times`);
  mt.columns.push(c);
  names.push(c.name);
}

/** One <monitor-request> from "COLUMN,COLUMN,!initial,...": no column named means all of them
 *  (by name, then _version). Columns accumulate per table over its arguments. */
function monitorRequest(s: ClientSession, arg: string, mt: MonitoredTable): JsonObject {
  const select = { initial: true, insert: true, delete: true, modify: true };
  const names: string[] = [];
  for (const token of arg.split(',').filter((x) => x !== '')) {
    const flag = token.startsWith('!') ? token.slice(1) : '';
    if (flag === 'initial' || flag === 'insert' || flag === 'delete' || flag === 'modify') {
      select[flag] = false;
      continue;
    }
    const c = mt.table.columnByName.get(token);
    if (!c) fatal(`${s.server}: table "${mt.table.name}" in ${s.database} does not have a column named "${token}"`);
    addColumn(s, c, mt, names);
  }
  if (names.length === 0) {
    const all = mt.table.columns.filter((c) => c.name !== '_uuid' && c.name !== '_version')
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const c of all) addColumn(s, c, mt, names);
    addColumn(s, mt.table.columnByName.get('_version')!, mt, names);
  }
  const mr: JsonObject = { columns: names };
  if (!select.initial || !select.insert || !select.delete || !select.modify) mr.select = select;
  return mr;
}

function addMonitoredTable(s: ClientSession, groups: string[], condition: Json | undefined, table: TableView,
  requests: JsonObject, mts: MonitoredTable[]): void {
  const mt: MonitoredTable = { table, columns: [] };
  mts.push(mt);
  requests[table.name] = (groups.length > 0 ? groups : ['']).map((g, i) => {
    const mr = monitorRequest(s, g, mt);
    if (i === 0 && condition !== undefined) mr.where = condition;
    return mr;
  });
}

function rowCells(row: JsonObject, uuid: string, action: string, mt: MonitoredTable): Cell[] {
  return [{ text: uuid }, { text: action }, ...mt.columns.map((c): Cell => (row[c.name] === undefined ? {} : { json: row[c.name], type: c.type }))];
}

function isObject(j: Json | undefined): j is JsonObject {
  return j !== null && j !== undefined && typeof j === 'object' && !Array.isArray(j);
}

class MonitorPrinter {
  private readonly s: ClientSession;
  private readonly mts: MonitoredTable[];
  constructor(s: ClientSession, mts: MonitoredTable[]) {
    this.s = s;
    this.mts = mts;
  }

  private newTable(mt: MonitoredTable): OutTable {
    const t = new OutTable(['row', 'action', ...mt.columns.map((c) => c.name)]);
    t.timestamp = this.s.options.timestamp;
    if (this.mts.length > 1) t.caption = mt.table.name;
    return t;
  }

  private warn(message: string): void {
    process.stderr.write(`ovsdb-client: ${message}\n`);
  }

  /** Each monitored table's <table-update> in `updates`, with the table to print its rows into
   *  (printed when the caller's loop body is done with it). */
  private *tableUpdates(updates: Json, what: string): Generator<[MonitoredTable, JsonObject, OutTable]> {
    if (!isObject(updates)) return this.warn(`${what} is not object`);
    for (const mt of this.mts) {
      const tu = updates[mt.table.name];
      if (tu === undefined) continue;
      if (!isObject(tu)) { this.warn(`<table-update> for table ${mt.table.name} is not object`); continue; }
      const t = this.newTable(mt);
      yield [mt, tu, t];
      this.s.printTable(t);
    }
  }

  /** <table-updates> of "monitor": rows of one table in the order OVS's hash walks them. */
  print1(updates: Json, initial: boolean): void {
    for (const [mt, tu, t] of this.tableUpdates(updates, '<table-updates>')) {
      for (const uuid of ovsShashOrder(Object.keys(tu))) {
        const ru = tu[uuid];
        if (!isObject(ru)) { this.warn('<row-update> is not object'); continue; }
        const add = (row: Json | undefined, action: string, id: string): void => {
          if (row === undefined) return this.warn(`missing ${action} row`);
          if (!isObject(row)) return this.warn('<row> is not object');
          t.rows.push(rowCells(row, id, action, mt));
        };
        if (initial) add(ru.new, 'initial', uuid);
        else if (ru.old === undefined) add(ru.new, 'insert', uuid);
        else if (ru.new === undefined) add(ru.old, 'delete', uuid);
        else { add(ru.old, 'old', uuid); add(ru.new, 'new', ''); }
      }
    }
  }

  /** <table-updates2> of monitor_cond and monitor_cond_since. */
  print2(updates: Json): void {
    for (const [mt, tu, t] of this.tableUpdates(updates, '<table-updates2>')) {
      for (const uuid of ovsShashOrder(Object.keys(tu))) {
        const ru = tu[uuid];
        if (!isObject(ru)) { this.warn('<row-update2> is not object'); continue; }
        const action = (['delete', 'initial', 'modify', 'insert'] as const).find((a) => ru[a] !== undefined);
        if (action === undefined) continue;
        const row = ru[action];
        if (action === 'delete') {
          if (row !== null) { this.warn('delete method does not expect <row>'); continue; }
          t.rows.push([{ text: uuid }, { text: 'delete' }, ...mt.columns.map((): Cell => ({}))]);
        } else if (!isObject(row)) {
          this.warn('<row> is not object');
        } else {
          t.rows.push(rowCells(row, uuid, action, mt));
        }
      }
    }
  }
}

async function checkCondition(s: ClientSession, table: TableView, condition: Json): Promise<void> {
  // The server's condition compiler, on the table as the client sees it.
  const { compileWhere } = await import('../ovsdb/condition.js');
  const columns = new Map<string, ColumnSchema>(table.columns.map((c) => [c.name, { name: c.name, type: c.type, ephemeral: !c.persistent && c.name !== '_version', mutable: true }]));
  const ts: TableSchema = { name: table.name, columns, isRoot: true, indexes: [], mutable: true };
  try {
    compileWhere(ts, condition);
  } catch (e) {
    fatal(e instanceof OvsdbError ? e.toText() : (e as Error).message);
  }
}

/** With --detach: the daemon's control socket and its commands (exit, ovsdb-client/block,
 *  ovsdb-client/unblock, ovsdb-client/cond_change TABLE COND). */
async function monitorControl(s: ClientSession, exit: () => void, blocked: { value: boolean; release: () => void }): Promise<UnixctlServer | undefined> {
  if (!s.options.daemon.detach) return undefined;
  let u: UnixctlServer;
  try {
    u = await UnixctlServer.create({ programName: 'ovsdb-client', version: versionString('ovsdb-client') });
  } catch (e) {
    fatal(`failed to create unixctl server (${(e as Error).message})`);
  }
  u.register('exit', '', 0, 0, () => { setImmediate(exit); return undefined; });
  u.register('ovsdb-client/block', '', 0, 0, () => {
    if (blocked.value) return 'already blocking';
    blocked.value = true;
    return undefined;
  });
  u.register('ovsdb-client/unblock', '', 0, 0, () => {
    if (!blocked.value) return 'already unblocked';
    blocked.value = false;
    blocked.release();
    return undefined;
  });
  u.register('ovsdb-client/cond_change', 'TABLE COND', 2, 2, ([table, cond]) => {
    let where: Json;
    try { where = parseOvsJson(cond!); } catch (e) { where = (e as Error).message; }
    s.client.request('monitor_cond_change', [null, null, { [table!]: [{ where }] }]).catch(() => { /* as OVS: the reply is not read */ });
    return 'condition changed';
  });
  return u;
}

async function runMonitor(s: ClientSession, version: Version, args: string[], condition?: Json, lastId?: string): Promise<void> {
  try {
    await daemonizeStart(s.options.daemon, 'ovsdb-client', { stdout: true, stderr: true });
  } catch (e) {
    fatal((e as Error).message);
  }
  // The monitor runs until this settles: 'exit' (the control socket's exit command), or why the
  // connection ended.
  let ended: (reason: string) => void = () => {};
  const end = new Promise<string>((resolve) => { ended = resolve; });
  const queued: (() => void)[] = [];
  const blocked = { value: false, release: () => { while (!blocked.value && queued.length) queued.shift()!(); } };
  const unixctl = await monitorControl(s, () => ended('exit'), blocked);
  const schema = await s.fetchSchema();
  const tableName = args[0]!;
  const requests: JsonObject = {};
  const mts: MonitoredTable[] = [];
  if (tableName !== 'ALL') {
    const table = schema.tableByName.get(tableName);
    if (!table) fatal(`${s.server}: ${s.database} does not have a table named "${tableName}"`);
    addMonitoredTable(s, args.slice(1), condition, table, requests, mts);
  } else {
    if (condition !== undefined) fatal('ALL tables are not allowed with condition');
    for (const table of tablesByName(schema)) addMonitoredTable(s, args.slice(1), undefined, table, requests, mts);
  }
  await s.sendDbChangeAware();
  const printer = new MonitorPrinter(s, mts);
  const rpc = s.client;
  let failure: string | undefined;
  const fatalLater = (message: string): void => {
    failure = message;
    ended(message);
  };
  rpc.onClose(() => ended('End of file'));
  rpc.onNotification((method, params) => {
    if (blocked.value) { queued.push(() => handle(method, params)); return; }
    handle(method, params);
  });
  const handle = (method: string, params: Json[]): void => {
    if (method === 'update' && params.length === 2 && params[0] === null) printer.print1(params[1]!, false);
    else if (method === 'update2' && version === 2 && params.length === 2 && params[0] === null) printer.print2(params[1]!);
    else if (method === 'update3' && version === 3 && params.length === 3 && params[0] === null) {
      s.out(`\nlast_id: ${typeof params[1] === 'string' ? params[1] : ''}`);
      printer.print2(params[2]!);
    } else if (method === 'monitor_canceled') {
      fatalLater(`${s.server}: ${s.database} database was removed`);
    }
  };
  const params: Json[] = [s.database, null, requests];
  if (version === 3) params.push(lastId ?? ZERO_UUID);
  let reply: Json;
  try {
    reply = await rpc.request(METHOD[version], params);
  } catch (e) {
    const rpcError = (e as { error?: Json }).error;
    if (rpcError !== undefined) fatal(`transaction returned error: ${s.jsonText(rpcError)}`);
    fatal(`${s.server}: receive failed (${causeText(e)})`);
  }
  if (version === 1) printer.print1(reply, true);
  else if (version === 2) printer.print2(reply);
  else {
    if (!Array.isArray(reply)) process.stderr.write('ovsdb-client: <result> is not array\n');
    const r = Array.isArray(reply) ? reply : [];
    if (r.length !== 3) process.stderr.write(`ovsdb-client: <result> should have 3 elements, but has ${r.length}.\n`);
    s.out(`found: ${r[0] === true ? 'true' : 'false'}, last_id: ${typeof r[1] === 'string' ? r[1] : ''}\n`);
    printer.print2(r[2] ?? {});
  }
  daemonizeComplete(true);
  const reason = await end;
  if (reason === 'exit') {
    await unixctl?.close();
    await s.close();
    await exitCleanly(0);
  }
  fatal(failure ?? `${s.server}: receive failed (${reason})`);
}

export async function monitorCommand(s: ClientSession, args: string[]): Promise<void> {
  await runMonitor(s, 1, args);
}

/** monitor-cond [SERVER] [DATABASE] CONDITION TABLE [COLUMN,...]... */
async function runMonitorCond(s: ClientSession, version: 2 | 3, args: string[], lastId?: string): Promise<void> {
  const schema = await s.fetchSchema();
  const tableName = args[1]!;
  const table = schema.tableByName.get(tableName);
  if (!table) fatal(`${s.database} does not have a table named "${tableName}"`);
  const condition = parseJsonArgument(args[0]!);
  await checkCondition(s, table, condition);
  await runMonitor(s, version, args.slice(1), condition, lastId);
}

export async function monitorCondCommand(s: ClientSession, args: string[]): Promise<void> {
  await runMonitorCond(s, 2, args);
}

/** monitor-cond-since [SERVER] [DATABASE] [LASTID] CONDITION TABLE [COLUMN,...]... */
export async function monitorCondSinceCommand(s: ClientSession, args: string[]): Promise<void> {
  let lastId: string | undefined;
  if (UUID_RE.test(args[0]!)) lastId = args.shift()!.toLowerCase();
  await runMonitorCond(s, 3, args, lastId);
}
