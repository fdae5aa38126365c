// ovsdb-client's commands, as OVS 3.1's ovsdb/ovsdb-client.c defines them: what each needs
// (nothing, a connection, or a connection and a database), how many arguments it takes after
// those, and what it prints.
import type { Json, JsonObject } from '../ovsdb/api.js';
import { OutTable, type Cell } from '../vsctl/out-table.js';
import { datumFromWire, compareDatum, type Datum } from '../vsctl/datum.js';
import { byteCompare } from '../vsctl/schema.js';
import { ClientSession, checkTransactionReply, defaultRemote, fatal, type Need } from './session.js';
import { tablesByName, type ColumnView } from './schema-view.js';
import { monitorCommand, monitorCondCommand, monitorCondSinceCommand } from './monitor.js';
import { backupCommand, restoreCommand } from './backup.js';
import { loadSchemaForClient, schemasDiffer } from './schema-file.js';
import { clientUsage } from './usage.js';
import { ReconnectingSession } from './reconnect.js';
import { daemonizeComplete, daemonizeStart, exitCleanly, versionString, type KeptStreams } from '../util/daemon.js';
import { UnixctlServer } from '../util/unixctl.js';
import { RpcError } from '../rpc/errors.js';
import { ovsJsonToText, ovsJsonToTextUnsorted } from '../vsctl/json-text.js';
import { parseJsonArgument } from './json-arg.js';

export interface ClientCommand {
  need: Need;
  min: number;
  max: number;
  run: (s: ClientSession, args: string[]) => Promise<void>;
}

async function listTables(s: ClientSession): Promise<void> {
  const schema = await s.fetchSchema();
  const t = new OutTable(['Table']);
  for (const ts of schema.tables) t.rows.push([{ text: ts.name }]);
  s.printTable(t);
}

async function listColumns(s: ClientSession, args: string[]): Promise<void> {
  const schema = await s.fetchSchema();
  const only = args[0];
  const t = new OutTable(only === undefined ? ['Table', 'Column', 'Type'] : ['Column', 'Type']);
  for (const ts of schema.tables) {
    if (only !== undefined && only !== ts.name) continue;
    for (const c of ts.columns) {
      const row: Cell[] = [{ text: c.name }, { json: c.typeJson }];
      if (only === undefined) row.unshift({ text: ts.name });
      t.rows.push(row);
    }
  }
  s.printTable(t);
}

/** The database a TRANSACTION names (its first element), as do_transact__ checks it. */
function transactionDatabase(txn: Json): string {
  if (!Array.isArray(txn) || txn.length === 0 || typeof txn[0] !== 'string') fatal('not a valid OVSDB query');
  return txn[0];
}

async function runTransaction(s: ClientSession, args: string[], txn: Json[]): Promise<Json> {
  s.database = transactionDatabase(txn);
  await s.open(args, 1, 'database');
  if (s.options.dbChangeAware === 1) await s.sendDbChangeAware();
  await daemonize(s, { stdout: true, stderr: true });
  daemonizeComplete(true);
  return s.call('transact', txn);
}

async function transact(s: ClientSession, args: string[]): Promise<void> {
  const txn = parseJsonArgument(args[args.length - 1]!);
  transactionDatabase(txn);
  s.printJson(await runTransaction(s, args, txn as Json[]));
}

async function query(s: ClientSession, args: string[]): Promise<void> {
  const txn = parseJsonArgument(args[args.length - 1]!);
  if (!Array.isArray(txn)) fatal('not a valid OVSDB query');
  const withAbort = [...txn, { op: 'abort' }];
  const abortIndex = withAbort.length - 2;
  const result = await runTransaction(s, args, withAbort);
  // The abort's own result ("aborted") is dropped when the transaction got as far as it.
  if (Array.isArray(result) && result.length === abortIndex + 1) {
    const last = result[abortIndex];
    if (last !== null && typeof last === 'object' && !Array.isArray(last) && last.error === 'aborted') result.pop();
  }
  s.printJson(result);
}

// ---------------------------------------------------------------- dump

async function dump(s: ClientSession, args: string[]): Promise<void> {
  const schema = await s.fetchSchema();
  let tables = tablesByName(schema);
  let custom: ColumnView[] | undefined;
  if (args.length > 0) {
    const t = schema.tableByName.get(args[0]!);
    if (!t) fatal(`No table "${args[0]}" found.`);
    tables = [t];
    if (args.length > 1) {
      custom = [];
      for (const name of args.slice(1)) {
        const c = t.columnByName.get(name);
        if (!c) fatal(`Table "${args[0]}" has no column ${name}.`);
        custom.push(c); // a column named twice is asked for twice, as OVS asks
      }
    }
  }
  const columnsOf = (t: (typeof tables)[number]): ColumnView[] =>
    (custom ?? t.columns).filter((c) => c.name !== '_version').sort((a, b) => byteCompare(a.name, b.name));
  const ops: Json[] = tables.map((t) => ({ op: 'select', table: t.name, where: [], columns: columnsOf(t).map((c) => c.name) }));
  const result = await s.call('transact', [s.database, ...ops]);
  if (!Array.isArray(result) || result.length !== tables.length) {
    fatal(`reply is not array of ${tables.length} elements: ${ovsJsonToTextUnsorted(result)}`);
  }
  tables.forEach((t, i) => {
    const r = result[i] as JsonObject;
    const rows = r !== null && typeof r === 'object' && !Array.isArray(r) ? r.rows : undefined;
    if (!Array.isArray(rows)) fatal(`${t.name} table reply is not an object with a "rows" member array: ${ovsJsonToTextUnsorted(r)}`);
    dumpTable(s, t.name, columnsOf(t), rows);
  });
}

function dumpTable(s: ClientSession, name: string, columns: ColumnView[], rows: Json[]): void {
  const data: Datum[][] = rows.map((row, y) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      fatal(`row ${y} in table ${name} response is not a JSON object: ${ovsJsonToTextUnsorted(row)}`);
    }
    return columns.map((c) => {
      const j = row[c.name];
      if (j === undefined) fatal(`row ${y} in table ${name} response lacks ${c.name} column`);
      try {
        return datumFromWire(j, c.type);
      } catch (e) {
        fatal((e as Error).message);
      }
    });
  });
  // Rows in the order of their values: UUID columns (random) only break ties.
  const order = data.map((_, y) => y).sort((a, b) => {
    for (const uuidPass of [false, true]) {
      for (let x = 0; x < columns.length; x++) {
        if ((columns[x]!.type.key.type === 'uuid') !== uuidPass) continue;
        const c = compareDatum(data[a]![x]!, data[b]![x]!);
        if (c) return c;
      }
    }
    return 0;
  });
  const t = new OutTable(columns.map((c) => c.name));
  t.caption = `${name} table`;
  for (const y of order) t.rows.push(columns.map((c, x) => ({ datum: data[y]![x]!, type: c.type })));
  s.printTable(t);
}

// ---------------------------------------------------------------- wait, lock, schema conversion

type WaitState = 'connected' | 'added' | 'removed';

function waitTransaction(state: WaitState, database: string): Json[] {
  const op: JsonObject = { op: 'wait', table: 'Database', where: [['name', '==', database]] };
  if (state === 'connected') Object.assign(op, { columns: ['connected'], until: '==', rows: [{ connected: true }] });
  else Object.assign(op, { columns: [], until: '==', rows: state === 'added' ? [{}] : [] });
  return ['_Server', op];
}

/** wait [SERVER] DATABASE STATE: keeps (re)connecting until the server answers, as OVS's
 *  reconnecting session does (with its log lines), then waits in the server for the database's
 *  state; a dropped connection starts over. */
async function wait(s: ClientSession, args: string[]): Promise<void> {
  const database = args[args.length - 2]!;
  const state = args[args.length - 1]!;
  if (state !== 'connected' && state !== 'added' && state !== 'removed') fatal(`${state}: unknown state`);
  const server = args.length > 2 ? args[0]! : defaultRemote();
  const session = new ReconnectingSession([server], true, (r) => s.connectActive(r));
  for (;;) {
    const rpc = (await session.connect())!;
    s.rpc = rpc;
    s.server = server;
    const closed = new Promise<'closed'>((r) => rpc.onClose(() => r('closed')));
    const aware = rpc.request('set_db_change_aware', [true]).then(() => 'ok' as const, (e: unknown) => e);
    // A JSON-RPC error reply (a server without _Server) ends the wait with the error; OVS 3.1
    // reads the missing result and dies of SIGSEGV there.
    const txn = rpc.request('transact', waitTransaction(state, database)).then((r) => ({ r }), (e: unknown) => {
      const error = (e as { error?: Json }).error;
      return error !== undefined ? fatal(`${server}: transaction failed (${ovsJsonToTextUnsorted(error)})`) : 'closed' as const;
    });
    const awareOutcome = await Promise.race([aware, closed]);
    if (awareOutcome !== 'ok' && awareOutcome !== 'closed') {
      const e = awareOutcome as { error?: Json };
      if (e.error !== undefined) fatal(`${server}: set_db_change_aware failed (${ovsJsonToTextUnsorted(e.error)})`);
    }
    const outcome = awareOutcome === 'closed' ? 'closed' : await Promise.race([txn, closed]);
    if (outcome === 'closed') {
      session.closedByPeer();
      continue;
    }
    checkTransactionReply(outcome.r);
    return;
  }
}

/** daemonize_start, with the standard streams the command keeps. */
async function daemonize(s: ClientSession, keep: KeptStreams): Promise<void> {
  try {
    await daemonizeStart(s.options.daemon, 'ovsdb-client', keep);
  } catch (e) {
    fatal((e as Error).message);
  }
}

/** lock/steal/unlock NAME: sends the request, prints its reply, then prints every notification
 *  ("locked", "stolen") as its method and its parameters, until stopped. With --detach, the
 *  control socket takes further lock, steal and unlock requests, and exit. */
function lockCommand(method: 'lock' | 'steal' | 'unlock'): ClientCommand {
  return {
    need: 'rpc', min: 1, max: 1,
    run: async (s, args) => {
      await daemonize(s, { stdout: true });
      const rpc = s.client;
      let exit: () => void = () => {};
      const ended = new Promise<'closed' | 'exit'>((resolve) => {
        rpc.onClose(() => resolve('closed'));
        exit = () => resolve('exit');
      });
      rpc.onNotification((m, params) => {
        s.out(m + '\n');
        s.printJson(params);
      });
      // A reply is printed; an error reply is not (OVS's loop only looks at replies).
      const send = async (m: string, lock: string): Promise<void> => {
        try {
          s.printJson(await s.client.request(m, [lock]));
        } catch (e) {
          if (!(e instanceof RpcError)) fatal(`${s.server}: receive failed (End of file)`);
        }
        daemonizeComplete();
      };
      let unixctl: UnixctlServer | undefined;
      if (s.options.daemon.detach) {
        try {
          unixctl = await UnixctlServer.create({ programName: 'ovsdb-client', version: versionString('ovsdb-client') });
        } catch (e) {
          fatal(`failed to create unixctl server (${(e as Error).message})`);
        }
        for (const m of ['unlock', 'steal', 'lock']) {
          unixctl.register(m, 'LOCK', 1, 1, ([lock]) => { void send(m, lock!); return undefined; });
        }
        unixctl.register('exit', '', 0, 0, () => { setImmediate(exit); return undefined; });
      }
      await send(method, args[0]!);
      if ((await ended) === 'exit') {
        await unixctl?.close();
        await s.close();
        await exitCleanly(0);
      }
      fatal(`${s.server}: receive failed (End of file)`);
    },
  };
}

async function needsConversion(s: ClientSession, args: string[]): Promise<void> {
  const wanted = await loadSchemaForClient(args[args.length - 1]!);
  s.database = wanted.name;
  await s.open(args, 1, 'database');
  const current = await s.fetchSchema(wanted.name);
  s.out((await schemasDiffer(wanted, current.json)) ? 'yes\n' : 'no\n');
}

async function convert(s: ClientSession, args: string[]): Promise<void> {
  const wanted = await loadSchemaForClient(args[args.length - 1]!);
  s.database = wanted.name;
  await s.open(args, 1, 'database');
  await s.sendDbChangeAware();
  await s.call('convert', [wanted.name, wanted.json]);
}

export const COMMANDS: Record<string, ClientCommand> = {
  'list-dbs': {
    need: 'rpc', min: 0, max: 0,
    run: async (s) => { for (const d of await s.listDbs()) s.out(d + '\n'); },
  },
  'get-schema': {
    need: 'database', min: 0, max: 0,
    run: async (s) => { s.printJson((await s.fetchSchema()).json); },
  },
  'get-schema-version': {
    need: 'database', min: 0, max: 0,
    run: async (s) => { s.out((await s.fetchSchema()).version + '\n'); },
  },
  'get-schema-cksum': {
    need: 'database', min: 0, max: 0,
    run: async (s) => { s.out(((await s.fetchSchema()).cksum ?? '') + '\n'); },
  },
  'list-tables': { need: 'database', min: 0, max: 0, run: listTables },
  'list-columns': { need: 'database', min: 0, max: 1, run: listColumns },
  transact: { need: 'none', min: 1, max: 2, run: transact },
  query: { need: 'none', min: 1, max: 2, run: query },
  monitor: { need: 'database', min: 1, max: Infinity, run: monitorCommand },
  'monitor-cond': { need: 'database', min: 2, max: 3, run: monitorCondCommand },
  'monitor-cond-since': { need: 'database', min: 2, max: 4, run: monitorCondSinceCommand },
  wait: { need: 'none', min: 2, max: 3, run: wait },
  convert: { need: 'none', min: 1, max: 2, run: convert },
  'needs-conversion': { need: 'none', min: 1, max: 2, run: needsConversion },
  dump: { need: 'database', min: 0, max: Infinity, run: dump },
  backup: { need: 'database', min: 0, max: 0, run: backupCommand },
  restore: { need: 'database', min: 0, max: 0, run: restoreCommand },
  lock: lockCommand('lock'),
  steal: lockCommand('steal'),
  unlock: lockCommand('unlock'),
  help: { need: 'none', min: 0, max: Infinity, run: async (s) => { s.out(clientUsage('ovsdb-client')); } },
};

