// ovsdb-client for scripts: list-dbs, get-schema, get-schema-version, get-schema-cksum, list-tables,
// list-columns, transact, query, dump, monitor — with the argument conventions and table output of
// OVS's ovsdb/ovsdb-client.c ([SERVER] defaults to unix:<rundir>/db.sock, [DATABASE] to Open_vSwitch
// when the server has it; dump/monitor print OVS's text tables).
import type { Json, JsonObject } from '../ovsdb/api.js';
import type { ColumnType, DatabaseSchema, TableSchema } from '../ovsdb/schema.js';
import type { Datum } from '../ovsdb/datum.js';
import { connectOvsdb, type RpcOvsdbClient } from '../rpc/client.js';
import { tlsFilesFor, type TlsFiles } from '../rpc/tls-files.js';
import { ovsRundir } from '../util/ovs-paths.js';
import { ovsFatal, versionString } from '../util/daemon.js';
import { causeText } from '../util/errno-text.js';
import { InternalError } from '../util/errors.js';
import { parseVlogOption, vlog, type VlogOption } from '../util/vlog.js';

const PROGRAM = 'ovsdb-client';

const USAGE = `${PROGRAM}: Open vSwitch database JSON-RPC client
usage: ${PROGRAM} [OPTIONS] COMMAND [ARG...]

Valid commands are:

  list-dbs [SERVER]
    list databases available on SERVER

  get-schema [SERVER] [DATABASE]
    retrieve schema for DATABASE from SERVER

  get-schema-version [SERVER] [DATABASE]
    retrieve schema for DATABASE from SERVER and report only its
    version number on stdout

  get-schema-cksum [SERVER] [DATABASE]
    retrieve schema for DATABASE from SERVER and report only its
    checksum on stdout

  list-tables [SERVER] [DATABASE]
    list tables for DATABASE on SERVER

  list-columns [SERVER] [DATABASE] [TABLE]
    list columns in TABLE (or all tables) in DATABASE on SERVER

  transact [SERVER] TRANSACTION
    run TRANSACTION (params for "transact" request) on SERVER
    and print the results as JSON on stdout

  query [SERVER] TRANSACTION
    run TRANSACTION (params for "transact" request) on SERVER,
    as read-only, and print the results as JSON on stdout

  monitor [SERVER] [DATABASE] TABLE [COLUMN,...]...
    monitor contents of COLUMNs in TABLE in DATABASE on SERVER.
    COLUMNs may include !initial, !insert, !delete, !modify
    to avoid seeing the specified kinds of changes.

  monitor [SERVER] [DATABASE] ALL
    monitor all changes to all columns in all tables
    in DATBASE on SERVER.

  needs-conversion [SERVER] SCHEMA
    print "yes" if the database named in SCHEMA on SERVER has a
    different schema, otherwise "no"

  dump [SERVER] [DATABASE] [TABLE [COLUMN]...]
    dump contents of TABLE (or all tables) in DATABASE on SERVER to stdout

The default SERVER is unix:${ovsRundir()}/db.sock.
The default DATABASE is Open_vSwitch.

Output formatting options:
  -f, --format=FORMAT         set output formatting to FORMAT
                              ("table" or "json")
  --no-headings               omit table headings in table format
  --timestamp                 timestamp "monitor" output
  --timeout=SECS              give up after SECS seconds

SSL options (for an ssl:IP[:PORT] SERVER):
  -p, --private-key=FILE      file with private key
  -c, --certificate=FILE      file with certificate for private key
  -C, --ca-cert=FILE          file with peer CA certificate
  --bootstrap-ca-cert=FILE    as --ca-cert (the file must exist)

Other options:
  -h, --help                  display this help message
  -V, --version               display version information
`;

type Need = 'none' | 'rpc' | 'database';
interface Command {
  need: Need;
  min: number;
  max: number;
  run: (ctx: Ctx, args: string[]) => Promise<void>;
}

interface Ctx {
  client: RpcOvsdbClient;
  server: string;
  database: string;
  format: 'table' | 'json';
  headings: boolean;
  /** --timestamp: each table of "monitor" output starts with the time, as OVS prints it. */
  timestamp: boolean;
  out: (s: string) => void;
}

// ---------------------------------------------------------------- output helpers

/** JSON with object keys sorted (OVS prints with JSSF_SORT), compact. */
export function sortedJson(v: Json): string {
  if (Array.isArray(v)) return '[' + v.map(sortedJson).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + sortedJson((v as JsonObject)[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

/** lib/table.c's text style: caption line, headings, dashes, left-aligned cells, one space apart. */
export function formatTable(caption: string | undefined, headings: string[], rows: string[][], showHeadings = true): string {
  const widths = headings.map((h, i) => Math.max(showHeadings ? h.length : 0, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' ').replace(/ +$/, '') + '\n';
  let s = caption !== undefined ? caption + '\n' : '';
  if (showHeadings) {
    s += line(headings);
    s += widths.map((w) => '-'.repeat(w)).join(' ') + '\n';
  }
  for (const r of rows) s += line(r);
  return s;
}

function compareDatum(type: ColumnType, a: Datum, b: Datum): number {
  if (a.keys.length !== b.keys.length) return a.keys.length < b.keys.length ? -1 : 1;
  for (let i = 0; i < a.keys.length; i++) {
    const c = datum().compareAtoms(type.key.type, a.keys[i]!, b.keys[i]!);
    if (c) return c;
  }
  if (type.value) {
    for (let i = 0; i < a.keys.length; i++) {
      const c = datum().compareAtoms(type.value.type, a.values![i]!, b.values![i]!);
      if (c) return c;
    }
  }
  return 0;
}

function cellText(type: ColumnType, json: Json | undefined): string {
  if (json === undefined) return '';
  try {
    const d = datum();
    return d.datumToString(type, d.datumFromJson(type, json, undefined, true));
  } catch {
    return sortedJson(json);
  }
}

function columnTypeJson(table: string, column: string, schema: DatabaseSchema): Json {
  if (column === '_uuid' || column === '_version') return 'uuid';
  const t = (schema.json.tables as JsonObject)[table] as JsonObject;
  return ((t.columns as JsonObject)[column] as JsonObject).type;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------- commands

// Schema parsing (with its JSON Schema validator, ajv, the largest part of this tool) and datum
// formatting load only with the first schema a command fetches: list-dbs, get-schema, transact and
// query start without them.
type DatumLib = typeof import('../ovsdb/datum.js');
let datumLib: DatumLib | undefined;

function datum(): DatumLib {
  if (!datumLib) throw new InternalError('ovsdb-client: datum formatting used before a schema was fetched');
  return datumLib;
}

async function fetchSchema(ctx: Ctx): Promise<DatabaseSchema> {
  const [{ parseSchema }, lib] = await Promise.all([import('../ovsdb/schema.js'), import('../ovsdb/datum.js')]);
  datumLib = lib;
  return parseSchema(await ctx.client.getSchema(ctx.database));
}

async function transactOrDie(ctx: Ctx, params: Json[]): Promise<Json> {
  try {
    return await ctx.client.request('transact', params);
  } catch (e) {
    ovsFatal(PROGRAM, `transaction returned error: ${(e as Error).message}`);
  }
}

async function dump(ctx: Ctx, args: string[]): Promise<void> {
  const schema = await fetchSchema(ctx);
  let tables: TableSchema[];
  const custom: string[] = [];
  if (args.length > 0) {
    const t = schema.tables.get(args[0]);
    if (!t) ovsFatal(PROGRAM, `No table "${args[0]}" found.`);
    for (const c of args.slice(1)) {
      if (!t.columns.has(c)) ovsFatal(PROGRAM, `Table "${args[0]}" has no column ${c}.`);
      custom.push(c);
    }
    tables = [t];
  } else {
    tables = [...schema.tables.values()].sort((a, b) => byName(a.name, b.name));
  }
  const ops: Json[] = tables.map((t) => ({
    op: 'select', table: t.name, where: [],
    ...(custom.length ? { columns: custom } : {}),
  }));
  const result = await transactOrDie(ctx, [ctx.database, ...ops]);
  if (!Array.isArray(result) || result.length !== ops.length) ovsFatal(PROGRAM, 'transaction returned unexpected result');
  const parts: string[] = [];
  const { datumFromJson, datumToString } = datum();
  tables.forEach((t, i) => {
    const r = result[i] as JsonObject;
    if (r && typeof r === 'object' && 'error' in r) ovsFatal(PROGRAM, `transaction returned error: ${sortedJson(r)}`);
    const rows = ((r?.rows ?? []) as JsonObject[]);
    const names = (custom.length ? [...custom] : [...t.columns.keys()]).filter((c) => c !== '_version').sort(byName);
    const types = names.map((c) => t.columns.get(c)!.type);
    const data = rows.map((row) => names.map((c, x) => datumFromJson(types[x], row[c] ?? ['set', []], undefined, true)));
    const order = data.map((_, y) => y).sort((a, b) => {
      for (const pass of [false, true]) {
        for (let x = 0; x < names.length; x++) {
          if ((types[x].key.type === 'uuid') !== pass) continue;
          const c = compareDatum(types[x], data[a][x], data[b][x]);
          if (c) return c;
        }
      }
      return 0;
    });
    if (ctx.format === 'json') {
      parts.push(sortedJson({ caption: `${t.name} table`, headings: names, data: order.map((y) => names.map((c) => rows[y][c] ?? null)) }) + '\n');
    } else {
      parts.push(formatTable(`${t.name} table`, names, order.map((y) => names.map((_, x) => datumToString(types[x], data[y][x]))), ctx.headings));
    }
  });
  ctx.out(parts.join('\n'));
}

interface MonitoredTable {
  table: TableSchema;
  columns: string[];
}

function parseMonitorColumns(ctx: Ctx, arg: string, t: TableSchema, into: string[]): JsonObject {
  const select = { initial: true, insert: true, delete: true, modify: true };
  const cols: string[] = [];
  for (const tok of arg.split(',').filter((x) => x !== '')) {
    if (tok.startsWith('!') && tok.slice(1) in select) { select[tok.slice(1) as keyof typeof select] = false; continue; }
    if (!t.columns.has(tok)) ovsFatal(PROGRAM, `${ctx.server}: table "${t.name}" in ${ctx.database} does not have a column named "${tok}"`);
    if (!into.includes(tok)) { cols.push(tok); into.push(tok); }
  }
  if (cols.length === 0 && into.length === 0) {
    for (const c of [...t.columns.keys()].filter((c) => c !== '_uuid' && c !== '_version').sort(byName)) { cols.push(c); into.push(c); }
    cols.push('_version');
    into.push('_version');
  }
  const mr: JsonObject = { columns: cols };
  if (!select.initial || !select.insert || !select.delete || !select.modify) mr.select = select;
  return mr;
}

async function monitor(ctx: Ctx, args: string[]): Promise<void> {
  const schema = await fetchSchema(ctx);
  const mts: MonitoredTable[] = [];
  const requests: JsonObject = {};
  if (args[0] === 'ALL') {
    for (const t of [...schema.tables.values()].sort((a, b) => byName(a.name, b.name))) {
      const mt: MonitoredTable = { table: t, columns: [] };
      requests[t.name] = [parseMonitorColumns(ctx, '', t, mt.columns)];
      mts.push(mt);
    }
  } else {
    const t = schema.tables.get(args[0]);
    if (!t) ovsFatal(PROGRAM, `${ctx.server}: ${ctx.database} does not have a table named "${args[0]}"`);
    const mt: MonitoredTable = { table: t, columns: [] };
    const groups = args.length > 1 ? args.slice(1) : [''];
    requests[t.name] = groups.map((g) => parseMonitorColumns(ctx, g, t, mt.columns));
    mts.push(mt);
  }
  const print = (updates: JsonObject, initial: boolean) => {
    for (const mt of mts) {
      const tu = updates[mt.table.name] as JsonObject | undefined;
      if (!tu || typeof tu !== 'object') continue;
      const types = mt.columns.map((c) => mt.table.columns.get(c)!.type);
      const rows: string[][] = [];
      const cells = (row: JsonObject | undefined) => mt.columns.map((c, i) => cellText(types[i], row?.[c]));
      for (const uuid of Object.keys(tu).sort(byName)) {
        const ru = tu[uuid] as JsonObject;
        const oldR = ru.old as JsonObject | undefined;
        const newR = ru.new as JsonObject | undefined;
        if (initial) rows.push([uuid, 'initial', ...cells(newR)]);
        else if (!oldR) rows.push([uuid, 'insert', ...cells(newR)]);
        else if (!newR) rows.push([uuid, 'delete', ...cells(oldR)]);
        else { rows.push([uuid, 'old', ...cells(oldR)]); rows.push(['', 'new', ...cells(newR)]); }
      }
      const caption = mts.length > 1 ? mt.table.name : undefined;
      // lib/table.c: "%Y-%m-%d %H:%M:%S.###" in UTC, on a line before the caption ("time" in JSON).
      const time = ctx.timestamp ? new Date().toISOString().replace('T', ' ').slice(0, 23) : undefined;
      if (ctx.format === 'json') ctx.out(sortedJson({ ...(caption ? { caption } : {}), ...(time ? { time } : {}), headings: ['row', 'action', ...mt.columns], data: rows }) + '\n');
      else ctx.out((time ? time + '\n' : '') + formatTable(caption, ['row', 'action', ...mt.columns], rows, ctx.headings) + '\n');
    }
  };
  const done = new Promise<void>((resolveDone) => ctx.client.onClose(() => resolveDone()));
  const r = await ctx.client.monitor(ctx.database, null, requests, (u) => print(u, false), { kind: 'monitor' });
  print(r.updates, true);
  await done;
}

async function listColumns(ctx: Ctx, args: string[]): Promise<void> {
  const schema = await fetchSchema(ctx);
  let tables: TableSchema[];
  if (args.length > 0) {
    const t = schema.tables.get(args[0]);
    if (!t) ovsFatal(PROGRAM, `${args[0]} does not exist`);
    tables = [t];
  } else {
    tables = [...schema.tables.values()].sort((a, b) => byName(a.name, b.name));
  }
  const rows: string[][] = [];
  for (const t of tables) {
    for (const c of [...t.columns.keys()].sort(byName)) {
      const typeText = sortedJson(columnTypeJson(t.name, c, schema));
      rows.push(args.length > 0 ? [c, typeText] : [t.name, c, typeText]);
    }
  }
  ctx.out(formatTable(undefined, args.length > 0 ? ['Column', 'Type'] : ['Table', 'Column', 'Type'], rows, ctx.headings));
}

const COMMANDS: Record<string, Command> = {
  'list-dbs': {
    need: 'rpc', min: 0, max: 0,
    run: async (ctx) => { for (const d of await ctx.client.listDbs()) ctx.out(d + '\n'); },
  },
  'get-schema': {
    need: 'database', min: 0, max: 0,
    run: async (ctx) => { ctx.out(sortedJson(await ctx.client.getSchema(ctx.database)) + '\n'); },
  },
  'get-schema-version': {
    need: 'database', min: 0, max: 0,
    run: async (ctx) => { ctx.out((await fetchSchema(ctx)).version + '\n'); },
  },
  'get-schema-cksum': {
    need: 'database', min: 0, max: 0,
    run: async (ctx) => { ctx.out(((await fetchSchema(ctx)).cksum ?? '') + '\n'); },
  },
  'list-tables': {
    need: 'database', min: 0, max: 0,
    run: async (ctx) => {
      const schema = await fetchSchema(ctx);
      ctx.out(formatTable(undefined, ['Table'], [...schema.tables.keys()].sort(byName).map((n) => [n]), ctx.headings));
    },
  },
  'list-columns': { need: 'database', min: 0, max: 1, run: listColumns },
  transact: {
    need: 'rpc', min: 1, max: 1,
    run: async (ctx, args) => {
      let params: Json;
      try { params = JSON.parse(args[0]) as Json; } catch (e) { ovsFatal(PROGRAM, `${args[0]}: ${(e as Error).message}`); }
      if (!Array.isArray(params)) ovsFatal(PROGRAM, 'TRANSACTION must be a JSON array');
      ctx.out(sortedJson(await transactOrDie(ctx, params)) + '\n');
    },
  },
  query: {
    need: 'rpc', min: 1, max: 1,
    run: async (ctx, args) => {
      let params: Json;
      try { params = JSON.parse(args[0]) as Json; } catch (e) { ovsFatal(PROGRAM, `${args[0]}: ${(e as Error).message}`); }
      if (!Array.isArray(params)) ovsFatal(PROGRAM, 'TRANSACTION must be a JSON array');
      // Read-only: run it, then abort, as OVS does (the abort's error is not printed).
      const result = await transactOrDie(ctx, [...params, { op: 'abort' }]);
      ctx.out(sortedJson(Array.isArray(result) ? result.slice(0, params.length - 1) : result) + '\n');
    },
  },
  'needs-conversion': {
    need: 'rpc', min: 1, max: 1,
    run: async (ctx, args) => {
      // The database is the one SCHEMA names, as in OVS; its schema on SERVER is compared with
      // SCHEMA as ovsdb-tool needs-conversion compares a file's.
      const [{ loadSchemaFile }, { schemasEqual }] = await Promise.all([import('../ovsdb/schema.js'), import('../ovsdb/schema-canonical.js')]);
      const wanted = loadSchemaFile(args[0]!);
      ctx.database = wanted.name;
      ctx.out(schemasEqual(await fetchSchema(ctx), wanted) ? 'no\n' : 'yes\n');
    },
  },
  dump: { need: 'database', min: 0, max: Infinity, run: dump },
  monitor: { need: 'database', min: 1, max: Infinity, run: monitor },
};

/** The SSL options, as [long name, short letter, field]: -p/-c/-C as in OVS; --bootstrap-ca-cert
 *  is taken as the CA certificate (the file must exist). */
const SSL_OPTIONS: [string, string, keyof TlsFiles][] = [
  ['private-key', 'p', 'privateKey'], ['certificate', 'c', 'certificate'], ['ca-cert', 'C', 'caCert'], ['bootstrap-ca-cert', '', 'caCert'],
];

function looksLikeServer(s: string): boolean {
  return /^[A-Za-z][A-Za-z0-9]*:/.test(s) && s.includes(':');
}

export async function main(argv: string[]): Promise<void> {
  vlog.programName = PROGRAM;
  vlog.setLevels(undefined, 'console', 'warn');
  let format: 'table' | 'json' = 'table';
  let headings = true;
  let timestamp = false;
  let timeout = 0;
  const ssl: Partial<TlsFiles> = {};
  const vlogOptions: VlogOption[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { i++; break; }
    if (!a.startsWith('-') || a === '-') break;
    if (a === '-h' || a === '--help') { process.stdout.write(USAGE); process.exit(0); }
    if (a === '-V' || a === '--version') { process.stdout.write(versionString(PROGRAM) + '\n'); process.exit(0); }
    if (a === '--no-headings') { headings = false; continue; }
    if (a === '--timestamp') { timestamp = true; continue; }
    if (a === '--pretty' || a === '--bare' || a.startsWith('--data=') || a.startsWith('-d')) continue;
    if (a.startsWith('--format=') || a === '-f' || (a.startsWith('-f') && !a.startsWith('--'))) {
      const v = a.startsWith('--format=') ? a.slice(9) : a === '-f' ? argv[++i] : a.slice(2);
      if (v !== 'table' && v !== 'json') ovsFatal(PROGRAM, `unknown output format "${v}"`);
      format = v;
      continue;
    }
    if (a.startsWith('--timeout=') || a === '-t' || a === '--timeout') {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!/^\d+$/.test(v ?? '')) ovsFatal(PROGRAM, `value ${v} on -t or --timeout is invalid`);
      timeout = Number(v);
      continue;
    }
    const sslOpt = SSL_OPTIONS.find(([long, short]) => a === `--${long}` || a.startsWith(`--${long}=`) || (short !== '' && a.startsWith(`-${short}`) && !a.startsWith('--')));
    if (sslOpt) {
      const [long, short, field] = sslOpt;
      const v = a.startsWith(`--${long}=`) ? a.slice(long.length + 3) : a === `--${long}` || a === `-${short}` ? argv[++i] : a.slice(2);
      if (!v) ovsFatal(PROGRAM, `option '${a}' requires an argument`);
      ssl[field] = v;
      continue;
    }
    const vo = parseVlogOption(a, () => argv[++i]);
    if (vo) { vlogOptions.push(vo); continue; }
    ovsFatal(PROGRAM, `unrecognized option '${a}'`);
  }
  try { vlog.applyOptions(vlogOptions); } catch (e) { ovsFatal(PROGRAM, (e as Error).message); }
  if (timeout > 0) setTimeout(() => process.kill(process.pid, 'SIGALRM'), timeout * 1000).unref();
  const rest = argv.slice(i);
  if (rest.length === 0) ovsFatal(PROGRAM, 'missing command name; use --help for help');
  const name = rest.shift()!;
  const cmd = COMMANDS[name];
  if (!cmd) ovsFatal(PROGRAM, `unknown command '${name}'; use --help for help`);
  let server = `unix:${ovsRundir()}/db.sock`;
  if (rest.length > cmd.min && looksLikeServer(rest[0])) server = rest.shift()!;
  let tls: TlsFiles | undefined;
  try {
    tls = tlsFilesFor(server, ssl);
  } catch (e) {
    ovsFatal(PROGRAM, `failed to connect to "${server}" (${(e as Error).message})`);
  }
  let client: RpcOvsdbClient;
  try {
    client = await connectOvsdb(server, { tls });
  } catch (e) {
    ovsFatal(PROGRAM, `failed to connect to "${server}" (${causeText(e)})`);
  }
  const ctx: Ctx = { client, server, database: 'Open_vSwitch', format, headings, timestamp, out: (s) => process.stdout.write(s) };
  try {
    if (cmd.need === 'database') {
      const dbs = await client.listDbs();
      if (rest.length > cmd.min && dbs.includes(rest[0])) ctx.database = rest.shift()!;
      else if (!dbs.includes('Open_vSwitch')) ovsFatal(PROGRAM, `no default database for \`${name}' command, please specify one`);
    }
    if (rest.length < cmd.min) ovsFatal(PROGRAM, `'${name}' command requires at least ${cmd.min} arguments`);
    if (rest.length > cmd.max) ovsFatal(PROGRAM, `'${name}' command takes at most ${cmd.max} arguments`);
    await cmd.run(ctx, rest);
  } catch (e) {
    ovsFatal(PROGRAM, (e as Error).message);
  } finally {
    await client.close();
  }
}
