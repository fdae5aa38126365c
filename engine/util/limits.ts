// Resource limits of the OVSDB server in one place: the ones engine/rpc enforces today (message
// size, nesting depth, send backlog per client) and the ones it does not enforce yet, with the
// values tests/soak/limits.test.ts showed to be harmless. A breach is reported with LimitError
// (code OVS_E_LIMIT), whose message names the limit, the value seen and the bound, so it can go
// into a JSON-RPC error reply ({"error": "resources exhausted", "details": message}) and a log line.
import { OvsError } from './errors.js';

export type LimitName =
  | 'maxMessageBytes'        // one JSON-RPC message (enforced: jsonrpc.ts JsonSplitter)
  | 'maxDepth'               // JSON nesting of one message (enforced: jsonrpc.ts JsonSplitter)
  | 'maxSendBacklog'         // bytes queued to one client that does not read (enforced: connection.ts)
  | 'maxConnections'         // sessions per server (not enforced yet)
  | 'maxMonitorsPerSession'  // monitors one client may hold (not enforced yet)
  | 'maxOpsPerTransaction'   // operations in one transact request (not enforced yet)
  | 'maxInFlightPerSession'; // requests one client may have unanswered (not enforced yet)

export interface LimitSpec {
  readonly value: number;
  readonly unit: string;
  /** Where it is enforced, or undefined when nothing enforces it yet. */
  readonly enforcedBy?: string;
}

export const SERVER_LIMITS: Readonly<Record<LimitName, LimitSpec>> = {
  maxMessageBytes: { value: 64 * 1024 * 1024, unit: 'bytes', enforcedBy: 'engine/rpc/jsonrpc.ts' },
  maxDepth: { value: 1000, unit: 'levels', enforcedBy: 'engine/rpc/jsonrpc.ts' },
  maxSendBacklog: { value: 64 * 1024 * 1024, unit: 'bytes', enforcedBy: 'engine/rpc/connection.ts' },
  maxConnections: { value: 4096, unit: 'connections' },
  maxMonitorsPerSession: { value: 4096, unit: 'monitors' },
  maxOpsPerTransaction: { value: 100_000, unit: 'operations' },
  maxInFlightPerSession: { value: 10_000, unit: 'requests' },
};

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
}

/** Throws LimitError when `seen` is above the limit (`bound` defaults to SERVER_LIMITS[limit]). */
export function checkLimit(limit: LimitName, seen: number, bound: number = SERVER_LIMITS[limit].value, what?: string): void {
  if (seen > bound) throw new LimitError(limit, seen, bound, what);
}

/** The limits nothing enforces yet (for reports). */
export function unenforcedLimits(): LimitName[] {
  return (Object.keys(SERVER_LIMITS) as LimitName[]).filter((k) => !SERVER_LIMITS[k].enforcedBy);
}
