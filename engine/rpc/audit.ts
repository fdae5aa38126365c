// The audit trail: every committed write transaction and every management-API call (ovsps/* and
// other registered methods) that arrives over a connection is recorded with WHO (the peer: unix
// socket credentials pid/uid/gid and command, TLS certificate subject, or TCP address; see
// peer-identity.ts) and WHAT (database and a per-op summary, or the method and its parameters).
//
// Where it goes is configurable (ServerOptions.audit, ovsdb-server --audit-file / --no-audit-log):
//   log:  one INFO line per event through the given logger (the engine uses vlog module "audit"),
//         e.g. `unix#3 [unix pid=812 uid=0 gid=0 (ovs-vsctl)] transact Open_vSwitch: insert Bridge,
//         mutate Open_vSwitch (1 row): committed`;
//   file: one JSON object per line appended to a file (synchronously, before the reply is sent),
//         {"time": ISO, "client": "unix#3", "peer": {...}, "kind": "transact", ...}.
import { appendFileSync } from 'node:fs';
import type { Json, JsonObject } from '../ovsdb/api.js';
import { OvsError } from '../util/errors.js';
import type { Logger } from './logger.js';
import { describePeer, type PeerIdentity } from './peer-identity.js';
import { stringifyJson } from '../util/json-int64.js';

export interface AuditOptions {
  /** Log a line per event through `logger` (default true). */
  log?: boolean;
  /** Also append JSON lines to this file. */
  file?: string;
  /** Where log lines go (default: the server's logger). */
  logger?: Logger;
}

export interface AuditClient {
  /** Connection name, e.g. "unix#3" or "ssl:10.0.0.1:4242". */
  name: string;
  peer: PeerIdentity;
  role?: string;
}

export interface AuditEvent {
  kind: 'transact' | 'method';
  /** Database (transact) or method name (method). */
  target: string;
  /** What was done, one line. */
  summary: string;
  outcome: 'committed' | 'ok' | 'failed' | 'denied';
  error?: string;
}

export class AuditFileError extends OvsError {
  constructor(message: string) {
    super('OVS_E_AUDIT_FILE', message);
  }
}

const WRITE_OPS = new Set(['insert', 'update', 'mutate', 'delete']);

function isObj(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when a transact request has operations that write. */
export function hasWriteOps(ops: Json[]): boolean {
  return ops.some((op) => isObj(op) && typeof op.op === 'string' && WRITE_OPS.has(op.op));
}

/** "insert Bridge, update Port (2 rows), delete Mirror (0 rows)" from the ops and their results. */
export function summarizeOps(ops: Json[], results: Json[]): string {
  // Plain loops: this runs once per audited transaction.
  let out = '';
  let comment: string | undefined;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (!isObj(op) || typeof op.op !== 'string') continue;
    if (op.op === 'comment') {
      if (comment === undefined && typeof op.comment === 'string') comment = op.comment;
      continue;
    }
    if (!WRITE_OPS.has(op.op)) continue;
    const table = typeof op.table === 'string' ? op.table : '?';
    const r = results[i];
    let part: string;
    if (op.op === 'insert') {
      part = `insert ${table}${isObj(r) && Array.isArray(r.uuid) ? ` ${String(r.uuid[1])}` : ''}`;
    } else {
      const count = isObj(r) && typeof r.count === 'number' ? ` (${r.count} row${r.count === 1 ? '' : 's'})` : '';
      const cols = op.op === 'update' && isObj(op.row) ? ` [${Object.keys(op.row).join(',')}]`
        : op.op === 'mutate' && Array.isArray(op.mutations) ? ` [${op.mutations.map((m) => (Array.isArray(m) ? String(m[0]) : '?')).join(',')}]` : '';
      part = `${op.op} ${table}${cols}${count}`;
    }
    out = out === '' ? part : `${out}, ${part}`;
  }
  return comment === undefined ? out : `${out} (comment: ${stringifyJson(comment)})`;
}

const COMMITTED: { outcome: AuditEvent['outcome'] } = Object.freeze({ outcome: 'committed' });

/** Outcome of a transact from its result array. */
export function transactOutcome(ops: Json[], results: Json[]): { outcome: AuditEvent['outcome']; error?: string } {
  let err: JsonObject | undefined;
  for (let i = 0; i < results.length && !err; i++) {
    const r = results[i];
    if (isObj(r) && typeof r.error === 'string') err = r;
  }
  if (!err) return COMMITTED;
  const text = `${err.error as string}${typeof err.details === 'string' ? `: ${err.details}` : ''}`;
  return { outcome: err.error === 'permission error' ? 'denied' : 'failed', error: text };
}

const READ_ONLY_METHODS = new Set(['ovsps/info', 'ovsps/health', 'ovsps/bridges', 'ovsps/ports', 'ovsps/interfaces', 'ovsps/fdb', 'ovsps/trace']);
const READ_ONLY_SUBCOMMANDS: Record<string, Set<string>> = {
  'ovsps/ofctl': new Set(['dump-flows', 'show', 'dump-ports']),
  'ovsps/dpctl': new Set(['show', 'dump-flows']),
};
const READ_ONLY_VSCTL = new Set(['show', 'list', 'get', 'find', 'list-br', 'br-exists', 'br-to-vlan', 'br-to-parent',
  'list-ports', 'list-ifaces', 'iface-to-br', 'port-to-br', 'get-controller', 'get-manager', 'get-ssl', 'get-fail-mode',
  'br-get-external-id', 'list-zone-tp', 'get-aa-mapping', 'comment', 'wait-until']);

/** The commands of an ovsps/vsctl call ({argv} with "--" separators, or {commands}). */
function vsctlCommands(p: JsonObject): string[] | undefined {
  if (Array.isArray(p.commands)) return p.commands.map((c) => (Array.isArray(c) && typeof c[0] === 'string' ? c[0] : '?'));
  if (!Array.isArray(p.argv)) return undefined;
  const out: string[] = [];
  let inCommand = false;
  for (const w of p.argv) {
    if (typeof w !== 'string') return undefined;
    if (w === '--') { inCommand = false; continue; }
    if (!inCommand && w.startsWith('-')) continue;
    if (!inCommand) { out.push(w); inCommand = true; }
  }
  return out;
}

/** True for management calls that only read (not audited unless refused). Unknown: false. */
export function isReadOnlyCall(method: string, params: Json[]): boolean {
  if (READ_ONLY_METHODS.has(method)) return true;
  const p = params[0];
  if (!isObj(p)) return false;
  const sub = READ_ONLY_SUBCOMMANDS[method];
  if (sub) return typeof p.command === 'string' && sub.has(p.command);
  if (method === 'ovsps/vsctl') {
    const cmds = vsctlCommands(p);
    return !!cmds && cmds.length > 0 && cmds.every((c) => READ_ONLY_VSCTL.has(c));
  }
  return false;
}

/** Parameters of a method call in one bounded line (long values cut). */
export function summarizeParams(params: Json[]): string {
  const s = stringifyJson(params);
  return s.length > 400 ? `${s.slice(0, 400)}...(${s.length} chars)` : s;
}

/** How long an audit log line may wait to be written with others (no audit file). */
export const AUDIT_BATCH_MS = 10;
/** Audit log lines waiting beyond which they are written at once. */
const AUDIT_BATCH_MAX = 1000;

export class Auditor {
  private readonly logger: Logger | undefined;
  private readonly errors: Logger | undefined;
  private readonly file: string | undefined;
  private fileFailed = false;

  constructor(options: AuditOptions & { logger?: Logger }) {
    this.logger = options.log === false ? undefined : options.logger;
    this.errors = options.logger;
    this.file = options.file;
    if (this.file) {
      try {
        appendFileSync(this.file, '', { mode: 0o640 });
      } catch (e) {
        throw new AuditFileError(`cannot open audit file ${this.file}: ${(e as Error).message}`);
      }
    }
  }

  /** Whether events are recorded anywhere now (the log level of the audit lines can change
   *  while the server runs: vlog/set audit:off). */
  get enabled(): boolean {
    return this.file !== undefined || this.logEnabled();
  }

  private logEnabled(): boolean {
    return this.logger !== undefined && (this.logger.infoEnabled?.() ?? true);
  }

  /** Writes the log lines still waiting (when the batch is due, or when the server closes). */
  readonly flushPending = (): void => {
    const q = this.pending;
    if (!q.length) return;
    this.pending = [];
    const lines = (): void => { for (const { client, event } of q) this.logLine(client, event); };
    // The batch goes to the logger at once, as one file write where it can.
    if (this.logger?.batch) this.logger.batch(lines); else lines();
  };

  private queue(client: AuditClient, event: AuditEvent): void {
    this.pending.push({ client, event });
    if (this.pending.length >= AUDIT_BATCH_MAX) {
      this.flushPending();
    } else if (!this.flushArmed) {
      // One Timeout for the Auditor's life, re-armed per batch (refresh): no timer object and no
      // timer-list entry made per batch. When a batch was written early (AUDIT_BATCH_MAX, close),
      // the armed timer still fires and writes what came meanwhile, at most AUDIT_BATCH_MS late.
      this.flushArmed = true;
      if (this.flushTimer) this.flushTimer.refresh();
      else (this.flushTimer = setTimeout(this.onFlushTimer, AUDIT_BATCH_MS)).unref();
    }
  }

  private readonly onFlushTimer = (): void => {
    this.flushArmed = false;
    this.flushPending();
  };

  private logLine(client: AuditClient, event: AuditEvent): void {
    if (!this.logger) return;
    let peer = this.peerText.get(client.peer);
    if (peer === undefined) this.peerText.set(client.peer, (peer = describePeer(client.peer)));
    const who = `${client.name} [${peer}${client.role ? ` role=${client.role}` : ''}]`;
    this.logger.info(`${who} ${event.kind} ${event.target}: ${event.summary}: ${event.outcome}${event.error ? ` (${event.error})` : ''}`);
  }

  /** describePeer of each peer seen (a peer's identity is fixed for its connection). */
  private readonly peerText = new WeakMap<PeerIdentity, string>();

  /** Log lines waiting for the next batch (see record). */
  private pending: { client: AuditClient; event: AuditEvent }[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushArmed = false;

  /** Records one event. With an audit file, the file line and the log line are written at once
   *  (the file is written before the reply goes out). Without one, the log line is written in a
   *  batch, at most AUDIT_BATCH_MS later (or once AUDIT_BATCH_MAX lines wait, or when the server
   *  closes): the same lines, in the same order, composed together off the clients' round trips
   *  (one line composed alone per request cost about a fifth of the server's time per
   *  transaction, its code and data no longer in the CPU caches). The event should hold only
   *  its own text: what it refers to lives until the batch. Returns whether the line waits for
   *  a batch. */
  record(client: AuditClient, event: AuditEvent): boolean {
    if (!this.file) {
      if (!this.logEnabled()) return false;
      this.queue(client, event);
      return true;
    }
    this.logLine(client, event);
    if (this.file && !this.fileFailed) {
      const line: JsonObject = {
        time: new Date().toISOString(), client: client.name, peer: client.peer as unknown as JsonObject,
        ...(client.role ? { role: client.role } : {}),
        kind: event.kind, target: event.target, summary: event.summary, outcome: event.outcome,
        ...(event.error ? { error: event.error } : {}),
      };
      try {
        appendFileSync(this.file, stringifyJson(line) + '\n');
      } catch (e) {
        // Losing the audit file must not take the server down; say so once, loudly.
        this.fileFailed = true;
        this.errors?.err(`audit file ${this.file}: write failed (${(e as Error).message}); audit records now go to the log only`);
      }
    }
    return false;
  }
}
