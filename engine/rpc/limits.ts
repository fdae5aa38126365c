// Enforcement of the per-server and per-client limits of engine/util/limits.ts that live above the
// byte stream (message size, nesting depth and send backlog are enforced in jsonrpc.ts and
// connection.ts). Each breach: a WARN line naming the client and the limit, and the error the
// client gets, {"error": "resources exhausted", "details": "<client>: <limit> exceeded: ..."}.
// Log lines are rate-limited per limit (as OVS's VLOG_WARN_RL) so a client hammering a limit cannot
// flood the log: at most LOG_BURST lines per LOG_WINDOW_MS, then one line saying how many were
// left out. Every breach is still answered and counted.
import { LimitError, resolveLimits, type LimitName, type ServerLimits } from '../util/limits.js';
import type { Logger } from './logger.js';

export const LOG_BURST = 20;
export const LOG_WINDOW_MS = 10_000;

interface Window { start: number; logged: number; dropped: number }

export class LimitGuard {
  readonly limits: ServerLimits;
  private readonly logger: Logger;
  /** Breaches seen per limit since start (for memory/show and tests). */
  readonly breaches = new Map<LimitName, number>();
  private readonly windows = new Map<LimitName, Window>();

  constructor(limits: Partial<ServerLimits> | undefined, logger: Logger, private readonly now: () => number = Date.now) {
    this.limits = resolveLimits(limits ?? {});
    this.logger = logger;
  }

  /** Returns the (logged) LimitError when `seen` is above `limit`, else undefined. */
  check(limit: LimitName, seen: number, client: string, action = 'request rejected'): LimitError | undefined {
    const bound = this.limits[limit];
    if (seen <= bound) return undefined;
    const e = new LimitError(limit, seen, bound, client);
    this.breaches.set(limit, (this.breaches.get(limit) ?? 0) + 1);
    this.log(limit, `${e.message}; ${action}`);
    return e;
  }

  /** Counts a breach that the connection layer (jsonrpc.ts, connection.ts) enforced and logged
   *  itself, recognised by the reason the connection was closed with. */
  noteClose(reason: string | undefined): void {
    if (!reason) return;
    const limit: LimitName | undefined = /^protocol error: message exceeds the size limit/.test(reason) ? 'maxMessageBytes'
      : /^protocol error: message nesting exceeds/.test(reason) ? 'maxDepth'
        : /^send backlog exceeded/.test(reason) ? 'maxSendBacklog' : undefined;
    if (limit) this.breaches.set(limit, (this.breaches.get(limit) ?? 0) + 1);
  }

  private log(limit: LimitName, line: string): void {
    const t = this.now();
    let w = this.windows.get(limit);
    if (!w || t - w.start >= LOG_WINDOW_MS) {
      if (w && w.dropped > 0) this.logger.warn(`${w.dropped} more ${limit} breaches were not logged (at most ${LOG_BURST} lines per ${LOG_WINDOW_MS / 1000} s)`);
      w = { start: t, logged: 0, dropped: 0 };
      this.windows.set(limit, w);
    }
    if (w.logged < LOG_BURST) {
      w.logged++;
      this.logger.warn(line);
    } else {
      w.dropped++;
    }
  }
}
