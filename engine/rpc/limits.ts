// Enforcement of the per-server and per-client limits of engine/util/limits.ts that live above the
// byte stream (message size, nesting depth and send backlog are enforced in jsonrpc.ts and
// connection.ts). Each breach: one WARN line naming the client and the limit, and the error the
// client gets, {"error": "resources exhausted", "details": "<client>: <limit> exceeded: ..."}.
import { LimitError, resolveLimits, type LimitName, type ServerLimits } from '../util/limits.js';
import type { Logger } from './logger.js';

export class LimitGuard {
  readonly limits: ServerLimits;
  private readonly logger: Logger;
  /** Breaches seen per limit since start (for memory/show and tests). */
  readonly breaches = new Map<LimitName, number>();

  constructor(limits: Partial<ServerLimits> | undefined, logger: Logger) {
    this.limits = resolveLimits(limits ?? {});
    this.logger = logger;
  }

  /** Returns the logged LimitError when `seen` is above `limit`, else undefined. */
  check(limit: LimitName, seen: number, client: string, action = 'request rejected'): LimitError | undefined {
    const bound = this.limits[limit];
    if (seen <= bound) return undefined;
    const e = new LimitError(limit, seen, bound, client);
    this.breaches.set(limit, (this.breaches.get(limit) ?? 0) + 1);
    this.logger.warn(`${e.message}; ${action}`);
    return e;
  }
}
