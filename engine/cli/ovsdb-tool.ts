// ovsdb-tool: the Open vSwitch database management utility, over our storage and OVSDB core.
// Same commands, argument order, output, exit codes and error style (`ovsdb-tool: <message>` on
// stderr, exit status 1) as Open vSwitch 3.1's ovsdb-tool, for standalone databases. Defaults
// (engine/util/ovs-paths.ts): DB = <dbdir>/conf.db (<project>/var/lib/openvswitch/conf.db),
// SCHEMA = <pkgdatadir>/vswitch.ovsschema (<project>/manifests/vswitch.ovsschema).
import { join } from 'node:path';
import type { Json, JsonObject } from '../ovsdb/api.js';
import { ovsDbdir, ovsPkgdatadir } from '../util/ovs-paths.js';
import { OvsError } from '../util/errors.js';
import { OvsJsonSyntaxError, parseOvsJson } from '../util/ovs-json.js';
import { ovsShashOrder } from '../util/ovs-shash.js';
import { parseSchema, type DatabaseSchema, type ColumnType } from '../ovsdb/schema.js';
import { datumFromJson, datumToString } from '../ovsdb/datum.js';
import { OvsdbError, sortedJsonString } from '../ovsdb/errors.js';
import { readLog, OVSDB_MAGIC, RAFT_MAGIC } from '../ovsdb/log-file.js';
import { schemasEqual } from '../ovsdb/schema-canonical.js';
import { readSchemaFile } from '../ovsdb/schema-file.js';
import { getoptLong, GetoptError, optionsText, type LongOption } from '../util/getopt.js';
import {
  compactDatabaseFile, createDatabaseFile, openDatabaseFile, readDatabaseSchema,
} from '../ovsdb/file-db.js';

const PROGRAM = 'ovsdb-tool';
const VERSION = '3.1.0';

/** Ends the command with `ovsdb-tool: <message>` and exit status 1 (ovs_fatal). */
class FatalError extends OvsError {
  readonly status: number;
  constructor(message: string, status = 1) {
    super('OVS_E_TOOL', message);
    this.status = status;
  }
}

/** A command asking to end with a given status and no message (compare-versions, db-is-*). */
class ExitStatus extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

interface Options {
  more: number;
  rbacRole?: string;
}

interface Out {
  out: (s: string) => void;
}

function defaultDb(): string {
  return join(ovsDbdir(), 'conf.db');
}

function defaultSchema(): string {
  return join(ovsPkgdatadir(), 'vswitch.ovsschema');
}

function usage(): string {
  return `${PROGRAM}: Open vSwitch database management utility
usage: ${PROGRAM} [OPTIONS] COMMAND [ARG...]
  create [DB [SCHEMA]]    create DB with the given SCHEMA
  compact [DB [DST]]      compact DB in-place (or to DST)
  convert [DB [SCHEMA [DST]]]   convert DB to SCHEMA (to DST)
  db-name [DB]            report name of schema used by DB
  db-version [DB]         report version of schema used by DB
  db-cksum [DB]           report checksum of schema used by DB
  db-is-clustered DB      test whether DB is clustered
  db-is-standalone DB     test whether DB is standalone
  schema-name [SCHEMA]    report SCHEMA's name
  schema-version [SCHEMA] report SCHEMA's schema version
  schema-cksum [SCHEMA]   report SCHEMA's checksum
  compare-versions A OP B  compare OVSDB schema version numbers
  query [DB] TRNS         execute read-only transaction on DB
  transact [DB] TRNS      execute read/write transaction on DB
  [-m]... show-log [DB]   print DB's log entries
The default DB is ${defaultDb()}.
The default SCHEMA is ${defaultSchema()}.

Other options:
  -m, --more                  increase show-log verbosity
  --rbac-role=ROLE            RBAC role for transact and query commands
  -h, --help                  display this help message
  -V, --version               display version information
`;
}

// ---- show-log ----------------------------------------------------------------------------------

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** " %Y-%m-%d %H:%M:%S.###" in UTC, as xastrftime_msec(..., true). */
function formatDate(ms: number): string {
  const d = new Date(ms);
  const msec = String(((ms % 1000) + 1000) % 1000).padStart(3, '0');
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${msec}`;
}

function valueToString(type: ColumnType | undefined, value: Json): string {
  if (type) {
    try {
      return datumToString(type, datumFromJson(type, value));
    } catch {
      // Not a valid datum of the column's type (e.g. a diff that over-fills a set): raw JSON.
    }
  }
  return sortedJsonString(value);
}

// OVS keeps a parsed JSON object's members in a hash map (shash) and prints them in that map's
// iteration order, not in file order (engine/util/ovs-shash.ts).
function ovsEntries(o: JsonObject): [string, Json][] {
  return ovsShashOrder(Object.keys(o)).map((k) => [k, o[k]!]);
}

function isObject(j: unknown): j is JsonObject {
  return j !== null && typeof j === 'object' && !Array.isArray(j);
}

function printDbChanges(o: Out, opts: Options, rec: JsonObject, schema: DatabaseSchema | undefined, names: Map<string, string>): void {
  const diff = rec['_is_diff'] === true;
  let i = 0;
  for (const [table, rows] of ovsEntries(rec)) {
    if (table.startsWith('_') || !isObject(rows)) continue;
    if (i++ === 0) o.out('\n');
    const tableSchema = schema?.tables.get(table);
    for (const [rowUuid, columns] of ovsEntries(rows)) {
      const oldName = names.get(rowUuid);
      let newName: string | undefined;
      if (isObject(columns) && columns['name'] !== undefined) newName = sortedJsonString(columns['name']!);
      let line = `  table ${table}`;
      const short = rowUuid.slice(0, 8);
      if (oldName === undefined) line += newName !== undefined ? ` insert row ${newName} (${short}):\n` : ` insert row ${short}:\n`;
      else line += ` row ${oldName} (${short})${diff ? ' diff' : ''}:\n`;
      o.out(line);
      if (isObject(columns)) {
        if (opts.more > 1) {
          for (const [column, value] of ovsEntries(columns)) {
            o.out(`    ${column}=${valueToString(tableSchema?.columns.get(column)?.type, value)}\n`);
          }
        }
        if (newName !== undefined && (oldName === undefined || oldName !== newName)) names.set(rowUuid, newName);
        else if (oldName === undefined) names.set(rowUuid, short);
      } else if (columns === null) {
        o.out('    delete row\n');
        names.delete(rowUuid);
      }
    }
  }
}

function printChangeRecord(o: Out, opts: Options, rec: JsonObject, schema: DatabaseSchema | undefined, names: Map<string, string>): void {
  const date = rec['_date'];
  if (typeof date === 'number' && Number.isInteger(date)) {
    // Older versions of OVSDB wrote seconds.
    o.out(` ${formatDate(date < 2147483647 ? date * 1000 : date)}`);
  }
  const comment = rec['_comment'];
  if (typeof comment === 'string') o.out(` "${comment}"`);
  if (opts.more > 0) printDbChanges(o, opts, rec, schema, names);
}

function showLog(o: Out, opts: Options, path: string): void {
  const contents = readLog(path, path, [OVSDB_MAGIC, RAFT_MAGIC], Infinity, true);
  if (contents.magic === RAFT_MAGIC) throw new FatalError(`${path}: clustered databases are not supported by this ovsdb-tool`);
  const names = new Map<string, string>();
  let schema: DatabaseSchema | undefined;
  contents.records.forEach((r, i) => {
    o.out(`record ${i}:`);
    if (i === 0) {
      try {
        schema = parseSchema(r.json);
      } catch (e) {
        throw new FatalError(e instanceof Error ? e.message : String(e));
      }
      o.out(` "${schema.name}" schema, version="${schema.version}", cksum="${schema.cksum ?? ''}"\n`);
    } else {
      printChangeRecord(o, opts, r.json, schema, names);
    }
    o.out('\n');
  });
  // The records before a bad one are printed; then the error, as ovsdb-tool does.
  if (contents.tail) throw contents.tail.error;
}

// ---- query / transact ----------------------------------------------------------------------------

/** Parses a transaction given on the command line with OVS's JSON parser and error texts. */
function parseTransaction(s: string): Json {
  try {
    return parseOvsJson(s);
  } catch (e) {
    if (e instanceof OvsJsonSyntaxError) throw new FatalError(`"${s}": ${e.message}`);
    throw e;
  }
}

async function transact(o: Out, path: string, txn: string, rw: boolean): Promise<void> {
  const request = parseTransaction(txn);
  const db = await openDatabaseFile(path, { readOnly: !rw, repairTornTail: false });
  try {
    let result: Json;
    if (!Array.isArray(request)) {
      result = { error: 'syntax error', details: 'array expected', syntax: sortedJsonString(request) };
    } else if (typeof request[0] !== 'string' || request[0] !== db.name) {
      result = { error: 'syntax error', details: 'database name expected as first parameter', syntax: sortedJsonString(request) };
    } else {
      result = await db.transact(request.slice(1));
    }
    o.out(sortedJsonString(result) + '\n');
  } finally {
    await db.close();
  }
}

// ---- versions ------------------------------------------------------------------------------------

function parseVersion(s: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (!m) throw new FatalError(`${s}: not an OVSDB version number in format x.y.z`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function compareVersions(a: string, op: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  const cmp = x[0] !== y[0] ? Math.sign(x[0] - y[0]) : x[1] !== y[1] ? Math.sign(x[1] - y[1]) : Math.sign(x[2] - y[2]);
  const ops: Record<string, boolean> = { '<': cmp < 0, '<=': cmp <= 0, '==': cmp === 0, '>=': cmp >= 0, '>': cmp > 0, '!=': cmp !== 0 };
  if (!(op in ops)) throw new FatalError(`${op}: not a relational operator`);
  return ops[op] ? 0 : 2;
}

// ---- command table -------------------------------------------------------------------------------

interface Command {
  name: string;
  usage: string;
  min: number;
  max: number;
  run: (o: Out, opts: Options, args: string[]) => Promise<void> | void;
}

const notClustered = (o: Out, opts: Options, args: string[]): void => {
  void o; void opts;
  const c = readLog(args[0]!, args[0]!, [OVSDB_MAGIC, RAFT_MAGIC], 1);
  if (c.magic === OVSDB_MAGIC) throw new FatalError(`${args[0]}: not a clustered database`);
  throw new FatalError(`${args[0]}: clustered databases are not supported by this ovsdb-tool`);
};
const clusterUnsupported = (): void => {
  throw new FatalError('clustered databases are not supported by this ovsdb-tool');
};

const COMMANDS: Command[] = [
  {
    name: 'create', usage: '[db [schema]]', min: 0, max: 2,
    run: async (_o, _opts, a) => {
      const schema = readSchemaFile(a[1] ?? defaultSchema());
      await createDatabaseFile(a[0] ?? defaultDb(), schema.json);
    },
  },
  { name: 'create-cluster', usage: 'db contents local', min: 3, max: 3, run: clusterUnsupported },
  { name: 'join-cluster', usage: 'db name local remote...', min: 4, max: Infinity, run: clusterUnsupported },
  {
    name: 'compact', usage: '[db [dst]]', min: 0, max: 2,
    run: (_o, _opts, a) => compactDatabaseFile(a[0] ?? defaultDb(), a[1], `compacted by ovsdb-tool ${VERSION}`),
  },
  {
    name: 'convert', usage: '[db [schema [dst]]]', min: 0, max: 3,
    run: (_o, _opts, a) => {
      const schema = readSchemaFile(a[1] ?? defaultSchema());
      return compactDatabaseFile(a[0] ?? defaultDb(), a[2], `converted by ovsdb-tool ${VERSION}`, schema);
    },
  },
  {
    name: 'needs-conversion', usage: '', min: 0, max: 2,
    run: (o, _opts, a) => {
      const dbSchema = readDatabaseSchema(a[0] ?? defaultDb()).schema;
      const fileSchema = readSchemaFile(a[1] ?? defaultSchema());
      o.out(schemasEqual(dbSchema, fileSchema) ? 'no\n' : 'yes\n');
    },
  },
  {
    name: 'db-name', usage: '[db]', min: 0, max: 1,
    run: (o, _opts, a) => {
      const path = a[0] ?? defaultDb();
      const c = readLog(path, path, [OVSDB_MAGIC, RAFT_MAGIC], 1);
      if (c.magic === RAFT_MAGIC) {
        const n = c.records[0]?.json['name'];
        if (typeof n !== 'string') throw new FatalError(`${path}: clustered database header lacks a name`);
        o.out(`${n}\n`);
        return;
      }
      o.out(`${readDatabaseSchema(path).schema.name}\n`);
    },
  },
  { name: 'db-version', usage: '[db]', min: 0, max: 1, run: (o, _opts, a) => o.out(`${readDatabaseSchema(a[0] ?? defaultDb()).schema.version}\n`) },
  { name: 'db-cksum', usage: '[db]', min: 0, max: 1, run: (o, _opts, a) => o.out(`${readDatabaseSchema(a[0] ?? defaultDb()).schema.cksum ?? ''}\n`) },
  { name: 'db-cid', usage: 'db', min: 1, max: 1, run: notClustered },
  { name: 'db-sid', usage: 'db', min: 1, max: 1, run: notClustered },
  { name: 'db-local-address', usage: 'db', min: 1, max: 1, run: notClustered },
  {
    name: 'db-is-clustered', usage: 'db', min: 1, max: 1,
    run: (_o, _opts, a) => {
      if (readLog(a[0]!, a[0]!, [OVSDB_MAGIC, RAFT_MAGIC], 1).magic !== RAFT_MAGIC) throw new ExitStatus(2);
    },
  },
  {
    name: 'db-is-standalone', usage: 'db', min: 1, max: 1,
    run: (_o, _opts, a) => {
      if (readLog(a[0]!, a[0]!, [OVSDB_MAGIC, RAFT_MAGIC], 1).magic !== OVSDB_MAGIC) throw new ExitStatus(2);
    },
  },
  { name: 'schema-name', usage: '[schema]', min: 0, max: 1, run: (o, _opts, a) => o.out(`${readSchemaFile(a[0] ?? defaultSchema()).name}\n`) },
  { name: 'schema-version', usage: '[schema]', min: 0, max: 1, run: (o, _opts, a) => o.out(`${readSchemaFile(a[0] ?? defaultSchema()).version}\n`) },
  { name: 'schema-cksum', usage: '[schema]', min: 0, max: 1, run: (o, _opts, a) => o.out(`${readSchemaFile(a[0] ?? defaultSchema()).cksum ?? ''}\n`) },
  { name: 'query', usage: '[db] trns', min: 1, max: 2, run: (o, _opts, a) => transact(o, a.length >= 2 ? a[0]! : defaultDb(), a[a.length - 1]!, false) },
  { name: 'transact', usage: '[db] trns', min: 1, max: 2, run: (o, _opts, a) => transact(o, a.length >= 2 ? a[0]! : defaultDb(), a[a.length - 1]!, true) },
  { name: 'show-log', usage: '[db]', min: 0, max: 1, run: (o, opts, a) => showLog(o, opts, a[0] ?? defaultDb()) },
  { name: 'check-cluster', usage: 'db...', min: 1, max: Infinity, run: clusterUnsupported },
  {
    name: 'compare-versions', usage: 'a op b', min: 3, max: 3,
    run: (_o, _opts, a) => {
      const status = compareVersions(a[0]!, a[1]!, a[2]!);
      if (status !== 0) throw new ExitStatus(status);
    },
  },
  { name: 'help', usage: '', min: 0, max: Infinity, run: (o) => o.out(usage()) },
  {
    name: 'list-commands', usage: '', min: 0, max: Infinity,
    run: (o) => {
      o.out('The available commands are:\n');
      for (const c of COMMANDS) o.out(`  ${c.name.padEnd(24)}${c.usage}\n`);
    },
  },
  { name: 'cluster-to-standalone', usage: 'db clusterdb', min: 2, max: 2, run: clusterUnsupported },
];

// ---- options -------------------------------------------------------------------------------------

type Parsed = { kind: 'run'; opts: Options; args: string[] } | { kind: 'done'; text: string };

/** ovsdb-tool's options, in OVS's order (which "is ambiguous" messages list). */
const LONG_OPTIONS: LongOption[] = [
  { name: 'more', has: 'no', short: 'm' },
  { name: 'rbac-role', has: 'required' },
  { name: 'cid', has: 'required' },
  { name: 'election-timer', has: 'required' },
  { name: 'verbose', has: 'optional', short: 'v' },
  { name: 'help', has: 'no', short: 'h' },
  { name: 'option', has: 'no', short: 'o' },
  { name: 'version', has: 'no', short: 'V' },
];

/** getopt_long with permutation (engine/util/getopt.ts), as OVS's command line parsing; --help,
 *  --option and --version end the parsing with their text. */
function parseOptions(argv: string[]): Parsed {
  const opts: Options = { more: 0 };
  let done: string | undefined;
  let args: string[];
  try {
    args = getoptLong(argv, LONG_OPTIONS, ({ name, value }) => {
      if (done !== undefined) return;
      switch (name) {
        case 'more': opts.more++; break;
        case 'help': done = usage(); break;
        case 'version': done = `${PROGRAM} (Open vSwitch) ${VERSION}\n`; break;
        case 'option': done = optionsText(LONG_OPTIONS); break;
        case 'rbac-role': opts.rbacRole = value!; break;
        default: break; // --verbose, --cid, --election-timer: nothing here uses them
      }
    });
  } catch (e) {
    // (Real's getopt never reaches a bad option after --help, --option or --version.)
    if (done !== undefined) return { kind: 'done', text: done };
    if (e instanceof GetoptError) throw new FatalError(e.message);
    throw e;
  }
  return done !== undefined ? { kind: 'done', text: done } : { kind: 'run', opts, args };
}

/** Runs `ovsdb-tool ARGV...`; writes to stdout/stderr and sets process.exitCode. Resolves to the
 *  exit status (also for tests that call it in-process). */
export async function main(argv: string[], io: { stdout?: (s: string) => void; stderr?: (s: string) => void } = {}): Promise<number> {
  const stdout = io.stdout ?? ((s: string) => { process.stdout.write(s); });
  const stderr = io.stderr ?? ((s: string) => { process.stderr.write(s); });
  let status = 0;
  try {
    const parsed = parseOptions(argv);
    if (parsed.kind === 'done') {
      stdout(parsed.text);
    } else {
      const [name, ...args] = parsed.args;
      if (name === undefined) throw new FatalError('missing command name; use --help for help');
      const cmd = COMMANDS.find((c) => c.name === name);
      if (!cmd) throw new FatalError(`unknown command '${name}'; use --help for help`);
      if (args.length < cmd.min) throw new FatalError(`'${name}' command requires at least ${cmd.min} arguments`);
      if (args.length > cmd.max) throw new FatalError(`'${name}' command takes at most ${cmd.max} arguments`);
      let buf = '';
      try {
        await cmd.run({ out: (s) => { buf += s; } }, parsed.opts, args);
      } finally {
        if (buf) stdout(buf);
      }
    }
  } catch (e) {
    if (e instanceof ExitStatus) {
      status = e.status;
    } else if (e instanceof FatalError) {
      stderr(`${PROGRAM}: ${e.message}\n`);
      status = e.status;
    } else if (e instanceof OvsError) {
      stderr(`${PROGRAM}: ${e instanceof OvsdbError ? e.toText() : e.message}\n`);
      status = 1;
    } else {
      stderr(`${PROGRAM}: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      status = 1;
    }
  }
  process.exitCode = status;
  return status;
}
