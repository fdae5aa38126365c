// Waiting in tests for something to become true (a guard against hangs, never a timing assertion).
import { existsSync } from 'node:fs';
import { connectOvsdb } from '../../engine/rpc/client.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every `everyMs` until it holds; throws naming `what` after `maxMs`. */
export async function waitFor(cond: () => boolean, what: string, maxMs = 30_000, everyMs = 20): Promise<void> {
  const until = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what} after ${maxMs} ms`);
    await sleep(everyMs);
  }
}

/** Waits until a server accepts a connection on unix socket `sock` (its file appears a moment
 *  before it listens); throws with `why()` after `maxMs`. */
export async function waitListening(sock: string, why: () => string, maxMs = 5000): Promise<void> {
  for (const end = Date.now() + maxMs; Date.now() < end; await sleep(25)) {
    if (!existsSync(sock)) continue;
    try {
      await (await connectOvsdb(`unix:${sock}`)).close();
      return;
    } catch { /* not listening yet */ }
  }
  throw new Error(`nothing listens on ${sock}: ${why()}`);
}
