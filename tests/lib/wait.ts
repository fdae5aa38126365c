// Waiting in tests for something to become true (a guard against hangs, never a timing assertion).

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every `everyMs` until it holds; throws naming `what` after `maxMs`. */
export async function waitFor(cond: () => boolean, what: string, maxMs = 30_000, everyMs = 20): Promise<void> {
  const until = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what} after ${maxMs} ms`);
    await sleep(everyMs);
  }
}
