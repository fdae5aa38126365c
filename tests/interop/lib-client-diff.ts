// Differential-test plumbing for ovsdb-client: the client corpus format (tests/corpus/ovsdb-client/),
// running Debian's real ovsdb-client and ours side by side, output normalisation and a compact
// report of where two runs differ. Servers, shell quoting and database dump/restore come from
// tests/vsctl/lib-diff.ts.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { basename, join } from 'node:path';
import type { Json, OvsdbClient } from '../../engine/ovsdb/api.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { readCorpus, shellWords, type RealServer } from '../vsctl/lib-diff.js';

export const REAL_CLIENT = '/usr/bin/ovsdb-client';
export const OUR_CLIENT = join(projectRoot, 'engine', 'bin', 'ovsdb-client');

/** OVSPS_CLIENT_DIFF_SELF_CHECK=1 runs the real client on both sides: every comparison must then
 *  hold, which checks the tests themselves (no flaky ordering, no normalisation gaps). */
const selfCheck = process.env.OVSPS_CLIENT_DIFF_SELF_CHECK === '1';

function ourCommand(args: string[]): [string, string[]] {
  return selfCheck ? [REAL_CLIENT, args] : [process.execPath, [OUR_CLIENT, ...args]];
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit status; killed by a signal: 128 + its number, as a shell reports it. */
  status: number;
  timedOut: boolean;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin (then closed); without it stdin is empty. */
  input?: string;
  /** A file opened as the child's stdin instead (`< FILE`: seekable, as restore needs). */
  stdinFile?: string;
  /** The child is killed (SIGKILL) after this long; default 10 s. */
  timeoutMs?: number;
}

/** Runs a program without blocking the event loop (an in-process server must keep answering). */
export function runProgram(file: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const fd = opts.stdinFile !== undefined ? openSync(opts.stdinFile, 'r') : undefined;
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [fd ?? 'pipe', 'pipe', 'pipe'], argv0: argv0Of(file) });
    if (fd !== undefined) closeSync(fd);
    let stdout = '', stderr = '', timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs ?? 10_000);
    child.on('error', (e) => { stderr += `spawn failed: ${e.message}\n`; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : -1), timedOut });
    });
  });
}

/** argv[0] as a shell gives it to a program found on PATH: its bare name (getopt's messages
 *  start with argv[0], so "/usr/bin/ovsdb-client: unrecognized option" would be an artefact). */
function argv0Of(file: string): string {
  return file.startsWith('/usr/') ? basename(file) : file;
}

export type Which = 'real' | 'ours';

/** Environment of a client run in `dir`: OVS_RUNDIR points there, so the default SERVER
 *  (unix:<rundir>/db.sock) is the test's private server; OVS_LOGDIR too, so that --help's default
 *  log file is the same path for both (ours would otherwise default under the project). */
export function clientEnv(dir: string): NodeJS.ProcessEnv {
  // tap puts its process-info hook into NODE_OPTIONS; loaded into every node child it triples
  // our client's start-up time, and the client is no test process.
  const env: NodeJS.ProcessEnv = { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir };
  delete env.NODE_OPTIONS;
  // Node 20 parses NODE_EXTRA_CA_CERTS at every start (~80 ms here); no ovsdb-client uses it.
  delete env.NODE_EXTRA_CA_CERTS;
  for (const k of Object.keys(env)) if (k.startsWith('_TAPJS_')) delete env[k];
  return env;
}

/** Runs real or our ovsdb-client with `args` in `dir`. */
export function runClient(which: Which, args: string[], dir: string, extra: Partial<RunOptions> = {}): Promise<RunResult> {
  const opts: RunOptions = { cwd: dir, env: clientEnv(dir), ...extra };
  const [file, argv] = which === 'real' ? [REAL_CLIENT, args] : ourCommand(args);
  return runProgram(file, argv, opts);
}

// ---------------------------------------------------------------------------------------------
// Corpus

export interface ClientLine {
  /** The line as written (after its marker), for messages. */
  text: string;
  /** `~` marker: OVS prints these lines in hash order, so stdout is compared as a sorted line set. */
  sorted: boolean;
}

export interface ClientScenario {
  file: string;
  name: string;
  /** `! PROGRAM ARGS` lines: run before the commands with the real tools, not compared. */
  setup: string[];
  lines: ClientLine[];
}

/** Corpus files (tests/corpus/ovsdb-client/*.txt): `## name` starts a scenario on a fresh
 *  database, `#` lines are comments, `! ovs-vsctl ARGS` / `! ovsdb-client ARGS` are setup lines
 *  (real tools; ovs-vsctl gets --no-wait --db=$SERVER), `~ ARGS` is a command line whose stdout is
 *  compared as a set of lines, and any other line is an ovsdb-client argument list in shell
 *  quoting. `$SERVER` is the server's unix: target, `$DIR` its private directory, `$SCHEMA` the
 *  vswitch schema file. */
export function readClientCorpus(path: string): ClientScenario[] {
  return readCorpus(path).map((sc) => {
    const setup: string[] = [];
    const lines: ClientLine[] = [];
    for (const l of sc.lines) {
      if (l.startsWith('! ')) {
        if (lines.length) throw new Error(`${path}: ${sc.name}: setup line after a command line: ${l}`);
        setup.push(l.slice(2).trim());
      } else if (l.startsWith('~ ')) lines.push({ text: l.slice(2).trim(), sorted: true });
      else lines.push({ text: l, sorted: false });
    }
    return { file: path, name: sc.name, setup, lines };
  });
}

/** Shell words of `line` with `$NAME` variables replaced (inside words too). */
export function expandWords(line: string, vars: Record<string, string>): string[] {
  return shellWords(line).map((w) => w.replace(/\$([A-Z_]+)/g, (m, n: string) => vars[n] ?? m));
}

const VALUE_OPTIONS = new Set(['-f', '-d', '-t', '-p', '-c', '-C', '--format', '--data', '--timeout', '--max-column-width',
  '--private-key', '--certificate', '--ca-cert', '--bootstrap-ca-cert', '--pidfile', '--log-file', '-v', '--verbose']);

/** The command word of an ovsdb-client argument list (the first word that is not an option or an
 *  option's value), if any. */
export function commandOf(words: string[]): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '--') return words[i + 1];
    if (!w.startsWith('-') || w === '-') return w;
    // -v takes an optional value only when attached (-vfoo); keep the table simple.
    if (VALUE_OPTIONS.has(w) && w !== '-v' && w !== '--verbose') i++;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Normalisation and comparison

const UUID_G = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const VLOG_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z\|/gm;

/** Every UUID that appears in `dbs` on the server (row UUIDs, references, _Server's sid/cid):
 *  outputs keep these as they are. Row versions are left out: putting a database back after a
 *  transaction gives every row a new _version, so those are normalised like new UUIDs. */
export async function knownUuidsOn(client: OvsdbClient, dbs: string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (const db of dbs) {
    try {
      const schema = await client.getSchema(db);
      const tables = Object.keys((schema.tables ?? {}) as Record<string, Json>);
      const res = await client.transact(db, tables.map((table) => ({ op: 'select', table, where: [] })));
      const text = JSON.stringify(res).replace(/"_version":\["uuid","[^"]*"\]/g, '');
      for (const u of text.match(UUID_G) ?? []) known.add(u);
    } catch { /* database absent on this server: nothing known from it */ }
  }
  return known;
}

/** Our tools name themselves after OVS's version: "ovsdb-client (Open vSwitch) 3.1.0
 *  (ovs-powershell 0.1.0)". The addition is deliberate (it tells whose tool runs) and dropped. */
const OUR_VERSION = / \(ovs-powershell [^)]*\)$/gm;

/** Replaces vlog timestamps by <time> and UUIDs not in `known` by <new1>, <new2>... in order of
 *  first appearance (a command that creates rows, or query's rolled-back insert, prints UUIDs
 *  nobody can predict). */
export function normalizeOutput(text: string, known: Set<string>): string {
  const map = new Map<string, string>();
  return text.replace(OUR_VERSION, '').replace(VLOG_TIME, '<time>|').replace(UUID_G, (u) => {
    if (known.has(u)) return u;
    if (!map.has(u)) map.set(u, `<new${map.size + 1}>`);
    return map.get(u) as string;
  });
}

/** A line for a message: between ‹›, control characters escaped, from `from` (with a leading
 *  "..." when that is not its start), cut after `n` characters. */
function clip(s: string, n = 160, from = 0): string {
  const v = s.slice(from).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `‹${from > 0 ? '...' : ''}${v.length > n ? `${v.slice(0, n)}...` : v}›`;
}

/** Where two texts first differ: the line (and column, in a long line) and that part of the line
 *  on each side (or "<end>"). */
export function firstDifference(real: string, ours: string): string {
  const a = real.split('\n'), b = ours.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      const x = a[i], y = b[i];
      let k = 0;
      if (x !== undefined && y !== undefined) while (k < x.length && k < y.length && x[k] === y[k]) k++;
      const from = k > 80 ? k - 40 : 0;
      const where = from > 0 ? `line ${i + 1}, column ${k + 1}` : `line ${i + 1}`;
      return `${where}: real ${x !== undefined ? clip(x, 160, from) : '<end>'} | ours ${y !== undefined ? clip(y, 160, from) : '<end>'}`
        + ` (real ${a.length} lines, ours ${b.length})`;
    }
  }
  return 'texts differ only in a way lines do not show';
}

function sortedLines(s: string): string {
  return s.split('\n').filter((l) => l !== '').sort().join('\n');
}

export interface CompareOptions {
  known: Set<string>;
  /** Compare stdout as a set of lines (OVS prints them in hash order). */
  sorted?: boolean;
}

/** Undefined when both runs printed the same (after normalisation) and exited alike; otherwise
 *  one short paragraph per differing part. */
export function compareRuns(real: RunResult, ours: RunResult, opts: CompareOptions): string | undefined {
  const parts: string[] = [];
  let ro = normalizeOutput(real.stdout, opts.known), oo = normalizeOutput(ours.stdout, opts.known);
  if (opts.sorted) { ro = sortedLines(ro); oo = sortedLines(oo); }
  if (ro !== oo) parts.push(`stdout${opts.sorted ? ' (as sorted lines)' : ''}: ${firstDifference(ro, oo)}`);
  const re = normalizeOutput(real.stderr, opts.known), oe = normalizeOutput(ours.stderr, opts.known);
  if (re !== oe) parts.push(`stderr: ${firstDifference(re, oe)}`);
  if (real.status !== ours.status) parts.push(`status: real ${real.status} | ours ${ours.status}`);
  if (ours.timedOut && !real.timedOut) parts.push('ours was killed after its time limit');
  return parts.length ? parts.join('\n') : undefined;
}

// ---------------------------------------------------------------------------------------------
// Long-running clients (monitor, lock, wait)

export interface LiveClient {
  readonly which: Which;
  readonly out: { stdout: string; stderr: string };
  /** Settles when the process ends (or is killed). */
  readonly done: Promise<RunResult>;
  /** Whether the process has ended. */
  exited(): boolean;
  /** Resolves when `cond(output so far)` holds; rejects after `ms` (default 5 s), or when the
   *  process ends first, naming `what`. */
  waitOut(cond: (out: { stdout: string; stderr: string }) => boolean, what: string, ms?: number): Promise<void>;
  kill(): void;
}

/** Starts real or our ovsdb-client with `args` in `dir` and keeps it running; it is killed
 *  after `limitMs` (default 10 s) whatever happens. */
export function startClient(which: Which, args: string[], dir: string, limitMs = 10_000): LiveClient {
  const out = { stdout: '', stderr: '' };
  let ended = false;
  const [file, argv] = which === 'real' ? [REAL_CLIENT, args] : ourCommand(args);
  const done = runProgramLive(file, argv, dir, out, limitMs);
  void done.promise.then(() => { ended = true; });
  return {
    which, out, done: done.promise,
    exited: () => ended,
    async waitOut(cond, what, ms = 5000) {
      const until = Date.now() + ms;
      while (!cond(out)) {
        if (Date.now() > until) throw new Error(`${which} ovsdb-client ${args.join(' ')}: gave up after ${ms} ms waiting for ${what}; stdout so far: ${clip(out.stdout, 400)}, stderr: ${clip(out.stderr, 400)}`);
        if (ended) throw new Error(`${which} ovsdb-client ${args.join(' ')} ended before ${what}; stdout: ${clip(out.stdout, 400)}, stderr: ${clip(out.stderr, 400)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    kill: done.kill,
  };
}

function runProgramLive(file: string, args: string[], cwd: string, out: { stdout: string; stderr: string }, limitMs: number):
  { promise: Promise<RunResult>; kill: () => void } {
  const child = spawn(file, args, { cwd, env: clientEnv(cwd), stdio: ['ignore', 'pipe', 'pipe'], argv0: argv0Of(file) });
  let timedOut = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out.stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { out.stderr += d; });
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, limitMs);
  const promise = new Promise<RunResult>((resolve) => {
    child.on('error', (e) => { out.stderr += `spawn failed: ${e.message}\n`; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ...out, status: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : -1), timedOut });
    });
  });
  return { promise, kill: () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); } };
}

// ---------------------------------------------------------------------------------------------
// Real ovsdb-server on a copy of a database file

/** A private real ovsdb-server (tests/vsctl/lib-diff.ts startRealServer). */
export type FileServer = RealServer;
