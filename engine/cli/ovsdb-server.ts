// ovsdb-server [DATABASE...] [--remote=REMOTE...] [daemon, vlog, SSL options]: serves OVSDB database
// files over JSON-RPC like OVS's ovsdb/ovsdb-server.c. Remotes: punix:PATH (relative = in the rundir),
// ptcp:[PORT][:IP], pssl:[PORT][:IP], active unix:/tcp:/ssl: (reconnecting), and db:DB,TABLE,COLUMN
// (a string column of remotes, or a column of Manager-like rows whose `target` is a remote),
// re-read after every commit. Control commands: exit, ovsdb-server/compact, reconnect, add-remote,
// remove-remote, list-remotes, add-db, remove-db, list-dbs, vlog/*, list-commands, version.
//
// OvsdbServerRunner is the reusable core: engine/main.ts runs the same thing as one engine process.
import { streamUsage } from '../rpc/stream-usage.js';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { BadRemoteError } from '../rpc/errors.js';
import { connectStream, parseActiveTarget, parsePassiveRemote, type Listener, type TlsFiles } from '../rpc/stream.js';
import { OvsdbServer, type RemoteSettings, type ServerOptions } from '../rpc/server.js';
import { limitForOption, parseLimitValue, SERVER_LIMITS, LIMIT_NAMES, type ServerLimits } from '../util/limits.js';
import type { Logger } from '../rpc/logger.js';
import type { Json, RowJson } from '../ovsdb/api.js';
import { openDatabaseFile, type FileDatabase } from '../ovsdb/file-db.js';
import { OvsdbError } from '../ovsdb/errors.js';
import { spawn } from 'node:child_process';
import { strsignal } from '../util/errno-text.js';
import { absFileName, ovsDbdir, ovsLogdir, ovsRundir } from '../util/ovs-paths.js';
import {
  addExitHook, DAEMON_USAGE, daemonizeComplete, daemonizeStart, defaultDaemonOptions, exitCleanly, ovsFatal,
  parseDaemonOption, versionString, type DaemonOptions,
} from '../util/daemon.js';
import { UnixctlCommandError, UnixctlServer } from '../util/unixctl.js';
import { parseVlogOption, vlog, type VlogModule, type VlogOption } from '../util/vlog.js';

export interface ServerArgs {
  dbFiles: string[];
  remotes: string[];
  unixctl?: string;
  daemon: DaemonOptions;
  vlog: VlogOption[];
  privateKey?: string;
  certificate?: string;
  caCert?: string;
  noDbs: boolean;
  /** --max-...=N options (engine/util/limits.ts). */
  limits: Partial<ServerLimits>;
  /** --audit-file=FILE: JSON-lines audit trail. */
  auditFile?: string;
  /** --no-audit-log: no audit lines in the log (default: vlog module "audit", INFO). */
  noAuditLog: boolean;
  /** --run=COMMAND: run COMMAND (through the shell) once the server is up, and exit when it does. */
  run?: string;
}

type ParseOutcome = { kind: 'run'; args: ServerArgs } | { kind: 'print'; text: string } | { kind: 'fatal'; message: string };

const VALUE_OPTIONS = ['remote', 'unixctl', 'private-key', 'certificate', 'ca-cert', 'bootstrap-ca-cert', 'peer-ca-cert',
  'ssl-protocols', 'ssl-ciphers', 'sync-from', 'sync-exclude-tables', 'run', 'user', 'audit-file',
  ...LIMIT_NAMES.map((k) => SERVER_LIMITS[k].option)];
const SHORT_VALUE: Record<string, string> = { p: 'private-key', c: 'certificate', C: 'ca-cert' };

export function usage(program: string): string {
  return `${program}: Open vSwitch database server
usage: ${program} [OPTIONS] [DATABASE...]
where each DATABASE is a database file in ovsdb format.
The default DATABASE, if none is given, is
${ovsDbdir()}/conf.db.

JSON-RPC options (may be specified any number of times):
  --remote=REMOTE         connect or listen to REMOTE
${streamUsage('JSON-RPC', true)}${DAEMON_USAGE(program)}
Logging options:
  -vSPEC, --verbose=SPEC   set logging levels
  -v, --verbose            set maximum verbosity level
  --log-file[=FILE]        enable logging to specified FILE
                           (default: <logdir>/${program}.log)

Limits (each breach: an error to that client and a log line):
${LIMIT_NAMES.map((k) => `  --${SERVER_LIMITS[k].option}=N`.padEnd(34) + `default ${SERVER_LIMITS[k].value} ${SERVER_LIMITS[k].unit}`).join('\n')}
Audit (writes and management calls, with the client's credentials):
  --audit-file=FILE       also append JSON lines to FILE
  --no-audit-log          no audit lines in the log file

Other options:
  --run COMMAND           run COMMAND as subprocess then exit
  --unixctl=SOCKET        override default control socket name
  -h, --help              display this help message
  -V, --version           display version information
`;
}

/** Parses ovsdb-server's command line (getopt_long style: options and DATABASE files may mix). */
export function parseServerArgs(argv: string[], program = 'ovsdb-server'): ParseOutcome {
  const args: ServerArgs = { dbFiles: [], remotes: [], daemon: defaultDaemonOptions(), vlog: [], noDbs: false, limits: {}, noAuditLog: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (!a.startsWith('-') || a === '-') { positional.push(a); continue; }
    if (a === '-h' || a === '--help') return { kind: 'print', text: usage(program) };
    if (a === '-V' || a === '--version') return { kind: 'print', text: versionString(program) + '\n' };
    if (a === '--no-dbs') { args.noDbs = true; continue; }
    if (a === '--no-audit-log') { args.noAuditLog = true; continue; }
    if (a === '--active' || a === '--disable-file-column-diff') continue;
    try {
      if (parseDaemonOption(a, args.daemon)) continue;
      const v = parseVlogOption(a, () => argv[++i]);
      if (v) { args.vlog.push(v); continue; }
    } catch (e) {
      return { kind: 'fatal', message: (e as Error).message };
    }
    let name: string | undefined;
    let value: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (!VALUE_OPTIONS.includes(name)) return { kind: 'fatal', message: `unrecognized option '${a}'` };
      value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) return { kind: 'fatal', message: `option '--${name}' requires an argument` };
    } else {
      name = SHORT_VALUE[a[1]];
      if (!name) return { kind: 'fatal', message: `invalid option -- '${a[1]}'` };
      value = a.length > 2 ? a.slice(2) : argv[++i];
      if (value === undefined) return { kind: 'fatal', message: `option requires an argument -- '${a[1]}'` };
    }
    switch (name) {
      case 'remote': if (!args.remotes.includes(value)) args.remotes.push(value); break;
      case 'unixctl': args.unixctl = value; break;
      case 'private-key': args.privateKey = value; break;
      case 'certificate': args.certificate = value; break;
      case 'ca-cert': case 'bootstrap-ca-cert': args.caCert = value; break;
      case 'audit-file': args.auditFile = value; break;
      case 'run': args.run = value; break;
      case 'sync-from': return { kind: 'fatal', message: '--sync-from (replication) is not supported by this implementation' };
      default: {
        const limit = limitForOption(name);
        if (limit) {
          try { args.limits[limit] = parseLimitValue(name, value); } catch (e) { return { kind: 'fatal', message: (e as Error).message }; }
        }
        break; // otherwise accepted and ignored: peer-ca-cert, ssl-protocols, ssl-ciphers, sync-exclude-tables
      }
    }
  }
  for (const p of positional) if (!args.dbFiles.includes(p)) args.dbFiles.push(p);
  if (args.dbFiles.length === 0 && !args.noDbs) args.dbFiles.push(`${ovsDbdir()}/conf.db`);
  return { kind: 'run', args };
}

/** Adapts a vlog module to the rpc layer's Logger. */
export function vlogLogger(m: VlogModule): Logger {
  // OVS does not log binding a listener; keep that at debug level.
  return {
    info: (s) => (s.startsWith('listening on ') ? m.dbg(s) : m.info(s)), warn: (s) => m.warn(s), err: (s) => m.err(s), dbg: (s) => m.dbg(s),
    infoEnabled: () => m.isEnabled('info'),
    batch: (fn) => vlog.batchWrites(fn),
  };
}

/** Atoms of a wire datum (set, uuid, map keys, scalar). */
function atoms(v: Json | undefined): Json[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) {
    if (v[0] === 'set' && Array.isArray(v[1])) return (v[1] as Json[]).flatMap((x) => atoms(x));
    if (v[0] === 'uuid') return [v[1] as string];
    if (v[0] === 'map' && Array.isArray(v[1])) return (v[1] as Json[]).map((kv) => (kv as Json[])[0]);
    return [];
  }
  return [v];
}

interface ActiveRemote {
  close(): void;
}

/** The server process: databases, remotes (static and db:), control commands. */
export class OvsdbServerRunner {
  readonly server: OvsdbServer;
  readonly dbs = new Map<string, FileDatabase>();
  readonly remotes = new Set<string>();
  private listeners = new Map<string, Listener>();
  private active = new Map<string, ActiveRemote>();
  /** Settings (RBAC role) of each remote, shared with its sessions. */
  private settings = new Map<string, RemoteSettings>();
  private reconfigureQueued = false;
  /** Passive remotes whose listen failed (a port in use, a missing directory): attempts so far.
   *  They are tried again, as OVS does, 1 s after the first failure, doubling to 8 s. */
  private readonly listenFailures = new Map<string, number>();
  private listenRetry: NodeJS.Timeout | undefined;
  private reconfiguring: Promise<void> = Promise.resolve();
  private tlsSpec: { privateKey?: string; certificate?: string; caCert?: string } = {};
  private readonly log: VlogModule;
  private closed = false;

  constructor(readonly programName: string, private readonly rundir = ovsRundir(), options: ServerOptions = {}) {
    this.log = vlog.module('ovsdb_server');
    // One audit line per write transaction: the Auditor hands them over in batches (one file
    // write each, through vlogLogger's batch).
    const audit = vlog.module('audit');
    this.server = new OvsdbServer({
      logger: vlogLogger(vlog.module('ovsdb_jsonrpc_server')),
      ...options,
      audit: { logger: vlogLogger(audit), ...options.audit },
      // "convert": the file is rewritten with the converted rows, and its new database object
      // replaces the old one everywhere (compact, db: remotes, close).
      convertDatabase: (name, schema) => {
        const db = this.dbs.get(name);
        if (!db) throw new OvsdbError('unknown database', `convert request specifies unknown database ${name}`);
        const converted = db.convert(schema, 'converted by ovsdb-server');
        this.dbs.set(name, converted);
        return converted;
      },
    });
  }

  setTls(spec: { privateKey?: string; certificate?: string; caCert?: string }): void {
    this.tlsSpec = spec;
  }

  /** Opens and serves a database file. Errors carry OVS-style messages (I/O error, syntax error...). */
  async addDatabaseFile(path: string): Promise<FileDatabase> {
    // As OVS: the same file again is "already open"; another file with the name of a served
    // database is a duplicate name.
    const canonical = (p: string): string => { try { return realpathSync(p); } catch { return resolve(p); } };
    for (const open of this.dbs.values()) {
      if (canonical(open.path) === canonical(path)) throw new UnixctlCommandError(`${path}: already open`);
    }
    const db = await openDatabaseFile(path, { onWarning: (m) => this.log.warn(m) });
    if (this.dbs.has(db.name) || db.name === '_Server') {
      await db.close();
      throw new UnixctlCommandError(`ovsdb error: ${db.name}: duplicate database name`);
    }
    this.server.addDatabase(db);
    this.dbs.set(db.name, db);
    // Remotes and SSL settings read from the database (db:DB,TABLE,COLUMN) follow its changes;
    // commits that touch none of the referenced tables need no reconfiguration.
    db.onCommit((change) => { if (this.referencesChange(db.name, change.tables)) this.queueReconfigure(); });
    return db;
  }

  async removeDatabase(name: string): Promise<void> {
    const db = this.dbs.get(name);
    if (!db) return;
    this.server.removeDatabase(name);
    this.dbs.delete(name);
    await db.close();
    this.queueReconfigure();
  }

  /** Resolves a db:DB,TABLE,COLUMN reference to its database, table and column, or an OVS error text. */
  private parseDbColumn(name: string): { db: FileDatabase; table: string; column: string } | string {
    const parts = name.slice(3).split(',').filter((p) => p !== '');
    if (parts.length < 3) return `"${name}": invalid syntax`;
    const [dbName, table, column] = parts as [string, string, string];
    const db = this.dbs.get(dbName);
    if (!db) return `"${name}": no database named ${dbName}`;
    const ts = db.schema.tables.get(table);
    if (!ts) return `"${name}": no table named ${table}`;
    if (!ts.columns.has(column)) return `"${name}": table "${table}" has no column "${column}"`;
    return { db, table, column };
  }

  /** Checks a remote the way add-remote does (db: references must name an existing column). */
  checkRemote(remote: string): string | undefined {
    if (!remote.startsWith('db:')) return undefined;
    const r = this.parseDbColumn(remote);
    return typeof r === 'string' ? r : undefined;
  }

  /** The concrete remotes a db: reference currently names (with the RBAC `role` of a
   *  Connection/Manager-like row, as OVS's add_manager_options reads it), plus errors. */
  private queryDbRemotes(name: string, errors: string[]): Map<string, RemoteSettings> {
    const out = new Map<string, RemoteSettings>();
    const r = this.parseDbColumn(name);
    if (typeof r === 'string') { errors.push(r); return out; }
    const col = r.db.schema.tables.get(r.table)!.columns.get(r.column)!;
    if (col.type.key.type === 'string' && !col.type.value) {
      for (const row of r.db.rows(r.table)) for (const a of atoms(row[r.column])) if (typeof a === 'string') out.set(a, {});
    } else if (col.type.key.type === 'uuid' && col.type.key.refTable && !col.type.value) {
      const refTable = col.type.key.refTable;
      const refSchema = r.db.schema.tables.get(refTable);
      const roleCol = refSchema?.columns.get('role');
      const hasRole = !!roleCol && roleCol.type.key.type === 'string' && !roleCol.type.value;
      const roCol = refSchema?.columns.get('read_only');
      const hasReadOnly = !!roCol && roCol.type.key.type === 'boolean' && !roCol.type.value;
      const refRows = new Map<string, RowJson>();
      for (const row of r.db.rows(refTable)) refRows.set(atoms(row._uuid)[0] as string, row);
      for (const row of r.db.rows(r.table)) {
        for (const u of atoms(row[r.column])) {
          const ref = refRows.get(u as string);
          const target = atoms(ref?.target)[0];
          if (typeof target !== 'string' || target === '') continue;
          const role = hasRole ? atoms(ref!.role)[0] : undefined;
          const st: RemoteSettings = typeof role === 'string' && role !== '' ? { role } : {};
          if (hasReadOnly && atoms(ref!.read_only)[0] === true) st.readOnly = true;
          out.set(target, st);
        }
      }
    }
    return out;
  }

  /** A string option value, possibly a db:DB,TABLE,COLUMN reference (first non-empty string). */
  private queryDbString(value: string | undefined, errors: string[]): string | undefined {
    if (value === undefined || !value.startsWith('db:')) return value;
    const r = this.parseDbColumn(value);
    if (typeof r === 'string') { errors.push(r); return undefined; }
    const col = r.db.schema.tables.get(r.table)!.columns.get(r.column)!;
    if (col.type.key.type !== 'string' || col.type.value) {
      errors.push(`"${value}": table "${r.table}" column "${r.column}" is not string or set of strings`);
      return undefined;
    }
    for (const row of r.db.rows(r.table)) for (const a of atoms(row[r.column])) if (typeof a === 'string' && a !== '') return a;
    return undefined;
  }

  private resolveTls(errors: string[]): TlsFiles | undefined {
    const privateKey = this.queryDbString(this.tlsSpec.privateKey, errors);
    const certificate = this.queryDbString(this.tlsSpec.certificate, errors);
    const caCert = this.queryDbString(this.tlsSpec.caCert, errors);
    return privateKey && certificate && caCert ? { privateKey, certificate, caCert } : undefined;
  }

  /** True when a db: remote or SSL reference points into a table this change touched. */
  private referencesChange(dbName: string, tables: ReadonlyMap<string, unknown>): boolean {
    const refs = [...this.remotes, this.tlsSpec.privateKey, this.tlsSpec.certificate, this.tlsSpec.caCert];
    for (const r of refs) {
      if (!r || !r.startsWith('db:')) continue;
      const [db, table] = r.slice(3).split(',');
      if (db === dbName && table !== undefined && tables.has(table)) return true;
      // A reference through a row of another table (e.g. Open_vSwitch -> Manager) can change with it.
      if (db === dbName && (tables.has('Manager') || tables.has('SSL') || tables.has('Open_vSwitch'))) return true;
    }
    return false;
  }

  private queueReconfigure(): void {
    if (this.reconfigureQueued || this.closed) return;
    this.reconfigureQueued = true;
    setImmediate(() => {
      this.reconfigureQueued = false;
      void this.reconfigure().then((errs) => { for (const e of errs) this.log.warn(e); });
    });
  }

  /** Brings listeners and active connections in line with the configured remotes; returns the
   *  db: resolution errors (OVS makes them fatal at startup). Serialised. */
  reconfigure(): Promise<string[]> {
    const run = this.reconfiguring.then(() => this.reconfigureNow());
    this.reconfiguring = run.then(() => undefined, () => undefined);
    return run;
  }

  private async reconfigureNow(): Promise<string[]> {
    if (this.closed) return [];
    const errors: string[] = [];
    const wanted = new Map<string, RemoteSettings>();
    for (const r of this.remotes) {
      if (r.startsWith('db:')) {
        for (const [x, st] of this.queryDbRemotes(r, errors)) {
          // The same target from two places: the more restricted settings win (never widen access).
          const prev = wanted.get(x);
          wanted.set(x, prev ? { role: prev.role || st.role, readOnly: prev.readOnly || st.readOnly } : st);
        }
      } else if (!wanted.has(r)) {
        wanted.set(r, {});
      }
    }
    // A remote whose role or read_only changed applies it to its live sessions at once.
    for (const [r, st] of wanted) {
      const cur = this.settings.get(r);
      if (cur) { cur.role = st.role; cur.readOnly = st.readOnly; }
    }
    const tls = this.resolveTls(errors);
    for (const [r, l] of this.listeners) {
      if (!wanted.has(r)) { this.listeners.delete(r); this.settings.delete(r); await l.close().catch(() => undefined); }
    }
    for (const r of this.listenFailures.keys()) if (!wanted.has(r)) this.listenFailures.delete(r);
    for (const [r, a] of this.active) {
      if (!wanted.has(r)) { this.active.delete(r); this.settings.delete(r); a.close(); }
    }
    for (const [r, st] of wanted) {
      if (this.listeners.has(r) || this.active.has(r)) continue;
      const settings: RemoteSettings = { ...st };
      if (/^p(unix|tcp|ssl):/.test(r)) {
        const bound = r.startsWith('punix:') ? `punix:${absFileName(this.rundir, r.slice(6))}` : r;
        try {
          parsePassiveRemote(bound);
        } catch (e) {
          // A remote that cannot be parsed is not tried again.
          this.log.err(`${r}: listen failed: ${(e as Error).message}`);
          continue;
        }
        const failures = this.listenFailures.get(r) ?? 0;
        try {
          this.listeners.set(r, await this.server.listen(bound, tls ? { tls, settings } : { settings }));
          this.settings.set(r, settings);
          if (failures) { this.listenFailures.delete(r); this.log.info(`${r}: listening (after ${failures} failed attempt${failures > 1 ? 's' : ''})`); }
        } catch (e) {
          // listenRemote's errors name the remote; anything else gets it here.
          const line = e instanceof BadRemoteError ? e.message : `${r}: listen failed: ${(e as Error).message}`;
          // The first failure is an error; the retries' failures are only for debugging.
          if (failures) this.log.dbg(line); else this.log.err(`${line} (trying again)`);
          this.listenFailures.set(r, failures + 1);
        }
      } else if (/^(unix|tcp|ssl):/.test(r)) {
        try {
          parseActiveTarget(r);
          this.active.set(r, this.connectActive(r, tls, settings));
          this.settings.set(r, settings);
        } catch (e) {
          this.log.err(`${r}: ${(e as Error).message}`);
        }
      } else {
        this.log.err(`${r}: unknown connection method`);
      }
    }
    this.scheduleListenRetry();
    return errors;
  }

  /** With listens that failed, one more reconfigure after the backoff of the most-tried one. */
  private scheduleListenRetry(): void {
    if (this.listenRetry || this.closed || this.listenFailures.size === 0) return;
    const most = Math.max(...this.listenFailures.values());
    this.listenRetry = setTimeout(() => {
      this.listenRetry = undefined;
      this.queueReconfigure();
    }, Math.min(8000, 1000 * 2 ** (most - 1)));
    this.listenRetry.unref();
  }

  /** An outgoing JSON-RPC session to a manager, reconnecting with backoff (1 s doubling to 8 s). */
  private connectActive(target: string, tls: TlsFiles | undefined, settings: RemoteSettings): ActiveRemote {
    let stopped = false;
    let backoff = 1000;
    let timer: NodeJS.Timeout | undefined;
    let current: import('node:net').Socket | undefined;
    const attempt = async () => {
      if (stopped) return;
      const bound = target.startsWith('unix:') ? `unix:${absFileName(this.rundir, target.slice(5))}` : target;
      try {
        const sock = await connectStream(bound, tls ? { tls } : {});
        if (stopped) { sock.destroy(); return; }
        current = sock;
        backoff = 1000;
        this.log.info(`${target}: connected`);
        const session = this.server.accept(sock, target, {}, settings);
        session.connection.onClose(() => {
          current = undefined;
          if (!stopped) { this.log.info(`${target}: connection closed`); timer = setTimeout(attempt, backoff); }
        });
      } catch (e) {
        this.log.dbg(`${target}: connection attempt failed (${(e as Error).message})`);
        timer = setTimeout(attempt, backoff);
        backoff = Math.min(backoff * 2, 8000);
      }
    };
    void attempt();
    return { close: () => { stopped = true; if (timer) clearTimeout(timer); current?.destroy(); } };
  }

  /** The control commands of ovsdb-server. `onExit` runs for `exit`. */
  registerCommands(u: UnixctlServer, onExit: () => void): void {
    u.register('exit', '', 0, 0, () => { setImmediate(onExit); return undefined; });
    u.register('ovsdb-server/compact', '', 0, 1, async (args) => {
      const name = args[0];
      if (name !== undefined && name.startsWith('_')) throw new UnixctlCommandError('cannot compact built-in databases');
      let n = 0;
      const errs: string[] = [];
      for (const [dbName, db] of this.dbs) {
        if (name !== undefined ? dbName !== name : dbName.startsWith('_')) continue;
        this.log.info(`compacting ${dbName} database by user request`);
        try { await db.compact(); } catch (e) { errs.push((e as Error).message); }
        n++;
      }
      if (n === 0) throw new UnixctlCommandError('no database by that name');
      if (errs.length) throw new UnixctlCommandError(errs.join('\n'));
      return undefined;
    });
    u.register('ovsdb-server/reconnect', '', 0, 0, () => {
      for (const s of [...this.server.sessions]) s.connection.close('user ran ovsdb-server/reconnect');
      return undefined;
    });
    u.register('ovsdb-server/add-remote', 'REMOTE', 1, 1, async (args) => {
      const err = this.checkRemote(args[0]!);
      if (err) throw new UnixctlCommandError(err);
      if (!this.remotes.has(args[0]!)) { this.remotes.add(args[0]!); await this.reconfigure(); }
      return undefined;
    });
    u.register('ovsdb-server/remove-remote', 'REMOTE', 1, 1, async (args) => {
      if (!this.remotes.delete(args[0]!)) throw new UnixctlCommandError('no such remote');
      await this.reconfigure();
      return undefined;
    });
    u.register('ovsdb-server/list-remotes', '', 0, 0, () =>
      [...this.remotes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((r) => r + '\n').join(''));
    u.register('ovsdb-server/add-db', 'DB', 1, 1, async (args) => {
      try {
        await this.addDatabaseFile(args[0]!);
      } catch (e) {
        throw new UnixctlCommandError((e as Error).message);
      }
      await this.reconfigure();
      return undefined;
    });
    u.register('ovsdb-server/remove-db', 'DB', 1, 1, async (args) => {
      const name = args[0]!;
      if (name === '_Server') throw new UnixctlCommandError('Cannot remove reserved database.');
      if (!this.dbs.has(name)) throw new UnixctlCommandError('Failed to find the database.');
      this.log.info(`removing ${name} database by user request`);
      await this.removeDatabase(name);
      return undefined;
    });
    u.register('ovsdb-server/list-dbs', '', 0, 0, () => this.server.databaseNames.map((n) => n + '\n').join(''));
    // Standalone storage, as real ovsdb-server's: a failed write fails its transaction and leaves
    // no lasting storage error (only clustered storage keeps one), so a served database is "ok".
    u.register('ovsdb-server/get-db-storage-status', 'DB', 1, 1, (args) => {
      if (!this.server.databaseNames.includes(args[0]!)) throw new UnixctlCommandError('Failed to find the database.');
      return 'status: ok';
    });
    // No active-backup replication here: this server is always the active one.
    u.register('ovsdb-server/sync-status', '', 0, 0, () => 'state: active\n');
    // Real ovsdb-server's answers where its build lacks the feature (Debian's lacks perf counters;
    // this server has no malloc_trim to call after compaction).
    u.register('ovsdb-server/perf-counters-show', '', 0, 0, () => 'performance counter is not supported on this platform');
    u.register('ovsdb-server/perf-counters-clear', '', 0, 0, () => undefined);
    u.register('ovsdb-server/memory-trim-on-compaction', 'on|off', 1, 1, () => {
      throw new UnixctlCommandError('memory trimming is not supported');
    });
    u.register('ovsdb-server/limits', '', 0, 0, () => {
      const g = this.server.limitGuard;
      return LIMIT_NAMES.map((k) => `${k} (--${SERVER_LIMITS[k].option}): ${g.limits[k]} ${SERVER_LIMITS[k].unit}, ${g.breaches.get(k) ?? 0} breaches\n`).join('');
    });
    u.register('memory/show', '', 0, 0, () => {
      let monitors = 0;
      for (const s of this.server.sessions) monitors += (s as unknown as { monitors?: Map<unknown, unknown> }).monitors?.size ?? 0;
      const rss = process.memoryUsage().rss;
      return `sessions:${this.server.sessions.size}${monitors ? ` monitors:${monitors}` : ''} rss-kB:${Math.round(rss / 1024)}\n`;
    });
    vlog.registerCommands(u);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.listenRetry) clearTimeout(this.listenRetry);
    for (const a of this.active.values()) a.close();
    this.active.clear();
    this.listeners.clear();
    await this.server.close();
    for (const db of this.dbs.values()) await db.close().catch(() => undefined);
    this.dbs.clear();
  }
}

export interface RunOptions {
  program: string;
  /** Remotes always added (engine/main.ts: punix:<rundir>/db.sock). */
  extraRemotes?: string[];
  /** Called once the server is up, before it reports ready to a --detach parent. */
  onStarted?: (runner: OvsdbServerRunner, unixctl: UnixctlServer) => Promise<void> | void;
  /** Prepares before the database files are opened (engine/main.ts creates conf.db). */
  beforeOpen?: (args: ServerArgs) => Promise<void> | void;
  /** Runs after the database files are open, before remotes are served. */
  afterOpen?: (runner: OvsdbServerRunner) => Promise<void> | void;
  /** Log to <logdir>/<program>.log when --log-file is not given. */
  defaultLogFile?: boolean;
  /** Write <rundir>/<program>.pid when --pidfile is not given. */
  defaultPidfile?: boolean;
}

/** Everything ovsdb-server does from the command line to "serving". Exits the process on fatal errors. */
export async function runServer(argv: string[], opts: RunOptions): Promise<{ runner: OvsdbServerRunner; unixctl: UnixctlServer }> {
  const program = opts.program;
  vlog.programName = program;
  const parsed = parseServerArgs(argv, program);
  if (parsed.kind === 'print') { process.stdout.write(parsed.text); process.exit(0); }
  if (parsed.kind === 'fatal') ovsFatal(program, parsed.message);
  const args = parsed.args;
  for (const r of opts.extraRemotes ?? []) if (!args.remotes.includes(r)) args.remotes.push(r);
  if (opts.defaultLogFile && !args.vlog.some((o) => o.kind === 'log-file')) args.vlog.unshift({ kind: 'log-file' });
  if (opts.defaultPidfile && args.daemon.pidfile === undefined) args.daemon.pidfile = '';

  try {
    await daemonizeStart(args.daemon, program);
  } catch (e) {
    ovsFatal(program, (e as Error).message);
  }
  try {
    vlog.applyOptions(args.vlog);
  } catch (e) {
    ovsFatal(program, (e as Error).message);
  }
  let runner: OvsdbServerRunner;
  try {
    runner = new OvsdbServerRunner(program, ovsRundir(), {
      limits: args.limits,
      audit: { log: !args.noAuditLog, ...(args.auditFile ? { file: absFileName(ovsLogdir(), args.auditFile) } : {}) },
    });
  } catch (e) {
    ovsFatal(program, (e as Error).message);
  }
  runner.setTls({ privateKey: args.privateKey, certificate: args.certificate, caCert: args.caCert });
  addExitHook(() => runner.close());
  try {
    await opts.beforeOpen?.(args);
    for (const f of args.dbFiles) await runner.addDatabaseFile(f);
    await opts.afterOpen?.(runner);
  } catch (e) {
    ovsFatal(program, (e as Error).message);
  }
  for (const r of args.remotes) runner.remotes.add(r);
  const errors = await runner.reconfigure();
  if (errors.length) ovsFatal(program, errors.join('\n'));

  let unixctl: UnixctlServer;
  try {
    unixctl = await UnixctlServer.create({ path: args.unixctl, programName: program, version: versionString(program) });
  } catch (e) {
    ovsFatal(program, (e as Error).message);
  }
  addExitHook(() => unixctl.close());
  runner.registerCommands(unixctl, () => void exitCleanly(0));
  await opts.onStarted?.(runner, unixctl);
  if (args.run !== undefined) runCommand(program, args.run);
  daemonizeComplete();
  // With --run the server is used like a command-line tool: OVS does not log its version then.
  if (args.run === undefined) vlog.module('ovsdb_server').info(versionString(program));
  return { runner, unixctl };
}

/** --run: COMMAND through the shell (/bin/sh -c; cmd.exe /c on Windows) with the server's standard
 *  streams; when it exits the server exits, with status 1 and "COMMAND: child exited, exit status
 *  N" (or "killed (SIGNAL)") when the command failed. */
function runCommand(program: string, command: string): void {
  const [file, argv] = process.platform === 'win32' ? ['cmd.exe', ['/d', '/s', '/c', command]] : ['/bin/sh', ['-c', command]];
  const child = spawn(file, argv, { stdio: 'inherit' });
  child.on('error', (e: NodeJS.ErrnoException) => ovsFatal(program, `${command}: process failed to start`, e.code));
  child.on('exit', (code, signal) => {
    if (code === 0) {
      void exitCleanly(0);
      return;
    }
    const why = signal ? `killed (${strsignal(signal)})` : `exit status ${code ?? 0}`;
    process.stderr.write(`${program}: ${command}: child exited, ${why}\n`);
    void exitCleanly(1);
  });
}

export async function main(argv: string[]): Promise<void> {
  await runServer(argv, { program: 'ovsdb-server' });
}
