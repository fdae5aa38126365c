// Differential-test plumbing for ovs-vsctl: a private real ovsdb-server, database dump/restore
// that keeps row UUIDs (so real and ours see the very same rows), corpus parsing and output
// normalisation. Lives next to the tests (tests/vsctl/) since only they use it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json, JsonObject, OvsdbClient } from '../../engine/ovsdb/api.js';
import { RawOvsdbClient } from '../lib/vsctl-raw-client.js';
import { waitListening } from '../lib/wait.js';
import { parseJson, stringifyJson } from '../../engine/util/json-int64.js';

export const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface PrivateServer {
  dir: string;
  sock: string;
  target: string;
  stop(): Promise<void>;
}

/** A real ovsdb-server: also its control socket and database file. */
export interface RealServer extends PrivateServer {
  /** The server's unixctl socket (for ovs-appctl -t). */
  ctl: string;
  db: string;
}

/** Debian's ovsdb-server in a private temp dir, on a new database of `from.schemaFile` (default the
 *  vswitch schema) or on a copy of `from.dbFile` (row UUIDs and all). */
export async function startRealServer(from: { dbFile: string } | { schemaFile: string } = { schemaFile: SCHEMA }): Promise<RealServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h5-'));
  const db = join(dir, 'conf.db');
  if ('dbFile' in from) copyFileSync(from.dbFile, db);
  else {
    const r = spawnSync('ovsdb-tool', ['create', db, from.schemaFile], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ovsdb-tool create failed: ${r.stderr}`);
  }
  const sock = join(dir, 'db.sock'), ctl = join(dir, 'ctl');
  const child: ChildProcess = spawn('/usr/sbin/ovsdb-server', [db, `--remote=punix:${sock}`, `--unixctl=${ctl}`,
    `--pidfile=${join(dir, 'pid')}`, `--log-file=${join(dir, 'log')}`, '--no-chdir'], { stdio: 'ignore' });
  try {
    await waitListening(sock, () => 'real ovsdb-server', 5000);
  } catch {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error('ovsdb-server did not start');
  }
  return {
    dir, sock, target: `unix:${sock}`, ctl, db,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((res) => child.once('exit', res));
        child.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Dump = Map<string, Map<string, JsonObject>>;

export async function dump(client: OvsdbClient, tables: string[]): Promise<Dump> {
  const res = await client.transact('Open_vSwitch', tables.map((t) => ({ op: 'select', table: t, where: [] })));
  const out: Dump = new Map();
  tables.forEach((t, i) => {
    const m = new Map<string, JsonObject>();
    for (const row of ((res[i] as JsonObject).rows as JsonObject[])) {
      const { _uuid, _version, ...rest } = row;
      void _version;
      m.set((_uuid as Json[])[1] as string, rest);
    }
    out.set(t, m);
  });
  return out;
}

/** Replaces the whole database content with `d`, keeping every row's UUID. */
export async function restore(client: OvsdbClient, d: Dump, schema: JsonObject): Promise<void> {
  // A UUID cannot be deleted and inserted again in one transaction: clear first.
  const del = await client.transact('Open_vSwitch', [...d.keys()].map((t) => ({ op: 'delete', table: t, where: [] })));
  const derr = del.find((x) => x && typeof x === 'object' && !Array.isArray(x) && (x as JsonObject).error);
  if (derr) throw new Error(`clear failed: ${stringifyJson(derr)}`);
  const ops: Json[] = [];
  const tables = schema.tables as JsonObject;
  for (const [t, rows] of d) {
    const cols = ((tables[t] as JsonObject).columns) as JsonObject;
    for (const [uuid, row] of rows) {
      const r: JsonObject = {};
      // Ephemeral columns too: a client may write them (ovs-vswitchd writes statistics), they are
      // only not kept on disk.
      for (const [c, v] of Object.entries(row)) if (cols[c]) r[c] = v;
      ops.push({ op: 'insert', table: t, uuid, row: r });
    }
  }
  if (!ops.length) return;
  const res = await client.transact('Open_vSwitch', ops);
  const err = res.find((x) => x && typeof x === 'object' && !Array.isArray(x) && (x as JsonObject).error);
  if (err) throw new Error(`restore failed: ${stringifyJson(err)}`);
}

export function knownUuids(d: Dump): Set<string> {
  const s = new Set<string>();
  for (const m of d.values()) for (const u of m.keys()) s.add(u);
  return s;
}

const UUID_G = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Replaces uuids unknown before the command by <new1>, <new2>... (order of appearance) and
 *  vlog timestamps by <time>. */
export function normalize(text: string, known: Set<string>): string {
  const map = new Map<string, string>();
  return text
    .replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\|/gm, '<time>|')
    .replace(UUID_G, (u) => {
      if (known.has(u)) return u;
      if (!map.has(u)) map.set(u, `<new${map.size + 1}>`);
      return map.get(u) as string;
    });
}

/** Canonical text of a dump: new uuids anonymised, rows sorted. */
export function canonicalDump(d: Dump, known: Set<string>): string {
  const lines: string[] = [];
  for (const [t, rows] of [...d].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const rs: string[] = [];
    for (const [u, row] of rows) {
      const anon = parseJson(stringifyJson(row).replace(UUID_G, (x) => (known.has(x) ? x : '<new>'))) as Json;
      const text = stringifyJson(sortKeys(anon));
      rs.push(`${t} ${known.has(u) ? u : '<new>'} ${text}`);
    }
    lines.push(...rs.sort());
  }
  return lines.join('\n');
}

function sortKeys(j: Json): Json {
  if (Array.isArray(j)) {
    if (j[0] === 'set' && Array.isArray(j[1])) return ['set', (j[1] as Json[]).map(sortKeys).sort((a, b) => (stringifyJson(a) < stringifyJson(b) ? -1 : 1))];
    if (j[0] === 'map' && Array.isArray(j[1])) return ['map', (j[1] as Json[]).map(sortKeys).sort((a, b) => (stringifyJson(a) < stringifyJson(b) ? -1 : 1))];
    return j.map(sortKeys);
  }
  if (j && typeof j === 'object') {
    const o: JsonObject = {};
    for (const k of Object.keys(j).sort()) o[k] = sortKeys((j as JsonObject)[k] as Json);
    return o;
  }
  return j;
}

/** Splits a corpus line into words like a POSIX shell would (quotes and backslashes). */
export function shellWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let have = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'") {
      const j = line.indexOf("'", i + 1);
      if (j < 0) throw new Error(`unterminated ' in ${line}`);
      cur += line.slice(i + 1, j);
      i = j;
      have = true;
    } else if (c === '"') {
      i++;
      for (; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1] as string)) i++;
        cur += line[i];
      }
      have = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      have = true;
    } else if (c === ' ' || c === '\t') {
      if (have) { out.push(cur); cur = ''; have = false; }
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) out.push(cur);
  return out;
}

export interface Scenario {
  file: string;
  name: string;
  lines: string[];
}

/** Corpus files: "## name" starts a scenario (fresh database); "#" lines are comments. */
export function readCorpus(path: string): Scenario[] {
  const out: Scenario[] = [];
  let cur: Scenario | undefined;
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line.startsWith('## ')) {
      cur = { file: path, name: line.slice(3).trim(), lines: [] };
      out.push(cur);
    } else if (line === '' || line.startsWith('#')) continue;
    else {
      if (!cur) { cur = { file: path, name: 'default', lines: [] }; out.push(cur); }
      cur.lines.push(line);
    }
  }
  return out;
}

/** list/find print rows in the IDL's hash order, which depends on UUID values; compare those
 *  outputs as sets of records. */
export function orderInsensitive(words: string[], text: string): string {
  const isListing = words.some((w) => w === 'list' || w === 'find');
  if (!isListing) return text;
  if (optionValue(words, '--format', '-f') === 'json') {
    // {"data":[ROW,...],"headings":[...]}: the rows as a set.
    try {
      const o = parseJson(text) as { data?: unknown };
      if (Array.isArray(o.data)) return stringifyJson({ ...o, data: (o.data as Json[]).map((r) => stringifyJson(r)).sort() } as Json) + '\n';
    } catch { /* not JSON (an error message): compared as it is */ }
    return text;
  }
  const columns = optionValue(words, '--columns');
  if (words.includes('--bare') && columns !== undefined) {
    // One line per column, a blank line between rows; a value may itself be empty, so rows are
    // cut by the column count, not at blank lines.
    const k = columns.split(',').length;
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const rows: string[] = [];
    for (let i = 0; i < lines.length; i += k + 1) rows.push(lines.slice(i, i + k).join('\n'));
    return rows.sort().join('\n\n');
  }
  if (text.includes('\n\n')) return text.split('\n\n').map((p) => p.replace(/\n$/, '')).sort().join('\n\n');
  const lines = text.split('\n');
  return lines.sort().join('\n');
}

/** The value of option `--name=V` or `-x V` among ovs-vsctl's words, if given. */
function optionValue(words: string[], long: string, short?: string): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith(long + '=')) return w.slice(long.length + 1);
    if (short !== undefined && w === short) return words[i + 1];
  }
  return undefined;
}

/** Runs Debian's ovs-vsctl without blocking the event loop (an in-process server must answer). */
export function runRealVsctl(args: string[]): Promise<{ stdout: string; stderr: string; status: number }> {
  return new Promise((resolve) => {
    const child = spawn('ovs-vsctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Killed by a signal: report it the way a shell does (128 + signal number).
      resolve({ stdout, stderr, status: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : -1) });
    });
  });
}

/** Our own OVSDB server (engine/rpc + engine/ovsdb), in-process, on a private unix socket. */
export async function startOurServer(): Promise<PrivateServer> {
  const { OvsdbServer } = await import('../../engine/rpc/server.js');
  const { createDatabase } = await import('../../engine/ovsdb/database.js');
  const { parseSchema } = await import('../../engine/ovsdb/schema.js');
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h5-'));
  const sock = join(dir, 'db.sock');
  const server = new OvsdbServer();
  server.addDatabase(createDatabase(parseSchema(JSON.parse(readFileSync(SCHEMA, 'utf8')))));
  await server.listen(`punix:${sock}`);
  return {
    dir, sock, target: `unix:${sock}`,
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function connectRaw(target: string): Promise<OvsdbClient> {
  return RawOvsdbClient.connect(target);
}
