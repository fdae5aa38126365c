// Resource limits of the OVSDB server in one place: their names, defaults, units, where each is
// enforced, and the command-line options that set them. Every limit is enforced (see enforcedBy);
// a breach is reported with LimitError (code OVS_E_LIMIT), whose message names the limit, the value
// seen and the bound, so it can go into a JSON-RPC error reply ({"error": "resources exhausted",
// "details": message}) and a log line naming the client.
//
//   const limits = resolveLimits({ maxConnections: 100 });   // defaults for the rest, validated
//   checkLimit('maxConnections', n, limits.maxConnections, 'unix#3');
import { OvsError } from './errors.js';

export type LimitName =
  | 'maxMessageBytes'        // one JSON-RPC message (jsonrpc.ts JsonSplitter)
  | 'maxDepth'               // JSON nesting of one message (jsonrpc.ts JsonSplitter)
  | 'maxSendBacklog'         // bytes queued to one client that does not read (connection.ts)
  | 'maxConnections'         // sessions per server (rpc/limits.ts, at accept)
  | 'maxMonitorsPerSession'  // monitors one client may hold (rpc/limits.ts, monitor requests)
  | 'maxOpsPerTransaction'   // operations (so also rows inserted) in one transact request
  | 'maxRowsPerTransaction'  // rows one transact request inserts, modifies or deletes (an update or
                             // delete with a broad `where` touches many rows with one operation)
  | 'maxInFlightPerSession'; // requests one client may have unanswered (blocked transacts, API calls)

export interface LimitSpec {
  readonly value: number;
  readonly unit: string;
  /** Where it is enforced. */
  readonly enforcedBy?: string;
  /** ovsdb-server / engine option that sets it (--NAME=N). */
  readonly option: string;
}

export const SERVER_LIMITS: Readonly<Record<LimitName, LimitSpec>> = {
  maxMessageBytes: { value: 64 * 1024 * 1024, unit: 'bytes', enforcedBy: 'engine/rpc/jsonrpc.ts', option: 'max-message-bytes' },
  maxDepth: { value: 1000, unit: 'levels', enforcedBy: 'engine/rpc/jsonrpc.ts', option: 'max-json-depth' },
  maxSendBacklog: { value: 64 * 1024 * 1024, unit: 'bytes', enforcedBy: 'engine/rpc/connection.ts', option: 'max-send-backlog' },
  maxConnections: { value: 4096, unit: 'connections', enforcedBy: 'engine/rpc/limits.ts', option: 'max-connections' },
  maxMonitorsPerSession: { value: 4096, unit: 'monitors', enforcedBy: 'engine/rpc/limits.ts', option: 'max-monitors-per-client' },
  maxOpsPerTransaction: { value: 100_000, unit: 'operations', enforcedBy: 'engine/rpc/limits.ts', option: 'max-ops-per-transaction' },
  maxRowsPerTransaction: { value: 100_000, unit: 'rows', enforcedBy: 'engine/ovsdb/database.ts (commit), asked by engine/rpc/server.ts', option: 'max-rows-per-transaction' },
  maxInFlightPerSession: { value: 10_000, unit: 'requests', enforcedBy: 'engine/rpc/limits.ts', option: 'max-requests-in-flight' },
};

export const LIMIT_NAMES = Object.keys(SERVER_LIMITS) as LimitName[];

/** A complete set of limit values. */
export type ServerLimits = Record<LimitName, number>;

export class LimitError extends OvsError {
  readonly limit: LimitName;
  readonly seen: number;
  readonly bound: number;
  constructor(limit: LimitName, seen: number, bound: number, what?: string) {
    const unit = SERVER_LIMITS[limit].unit;
    super('OVS_E_LIMIT', `${what ? `${what}: ` : ''}${limit} exceeded: ${seen} ${unit}, the limit is ${bound} ${unit}`);
    this.limit = limit;
    this.seen = seen;
    this.bound = bound;
  }

  /** The JSON-RPC / OVSDB error object a breach is answered with. */
  toJson(): { error: string; details: string } {
    return { error: 'resources exhausted', details: this.message };
  }
}

/** A limit value that is not a positive integer, or an unknown limit name. */
export class BadLimitError extends OvsError {
  constructor(message: string) {
    super('OVS_E_BAD_LIMIT', message);
  }
}

/** Throws LimitError when `seen` is above the limit (`bound` defaults to SERVER_LIMITS[limit]). */
export function checkLimit(limit: LimitName, seen: number, bound: number = SERVER_LIMITS[limit].value, what?: string): void {
  if (seen > bound) throw new LimitError(limit, seen, bound, what);
}

/** The limits nothing enforces (for reports; empty now). */
export function unenforcedLimits(): LimitName[] {
  return LIMIT_NAMES.filter((k) => !SERVER_LIMITS[k].enforcedBy);
}

/** Defaults overlaid with `given`; every value must be a positive integer (Infinity allowed). */
export function resolveLimits(given: Partial<Record<string, number>> = {}): ServerLimits {
  const out = {} as ServerLimits;
  for (const k of Object.keys(given)) {
    if (!(k in SERVER_LIMITS)) throw new BadLimitError(`unknown limit "${k}" (expected one of ${LIMIT_NAMES.join(', ')})`);
  }
  for (const k of LIMIT_NAMES) {
    const v = given[k] ?? SERVER_LIMITS[k].value;
    if (typeof v !== 'number' || !(v === Infinity || (Number.isSafeInteger(v) && v > 0))) {
      throw new BadLimitError(`limit ${k} must be a positive integer, got ${JSON.stringify(v)}`);
    }
    out[k] = v;
  }
  return out;
}

/** Parses the value of a --max-...=N option: a positive integer, optionally with k/M/G (x1024). */
export function parseLimitValue(option: string, text: string): number {
  const m = /^(\d{1,15})([kKmMgG]?)$/.exec(text.trim());
  const mult = m ? ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[m[2]!.toLowerCase()]! : 0;
  const v = m ? Number(m[1]) * mult : NaN;
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new BadLimitError(`--${option}: "${text}" is not a positive integer (a k, M or G suffix multiplies by 1024)`);
  }
  return v;
}

/** The limit a --OPTION sets, or undefined when OPTION is not a limit option. */
export function limitForOption(option: string): LimitName | undefined {
  return LIMIT_NAMES.find((k) => SERVER_LIMITS[k].option === option);
}
