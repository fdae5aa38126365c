// OVSDB locks (RFC 7047 §4.1.8-4.1.10) as ovsdb-server 3.1 behaves:
// - each lock has a queue of sessions; the first is the owner;
// - "lock" joins the end of the queue, "steal" jumps to the front (the previous owner stays
//   queued right behind it and is told "stolen");
// - when a session leaves a queue ("unlock" or disconnect), the owner after the change is told
//   "locked" (ovsdb-server does this even when the owner did not change).

export interface LockHolder {
  /** Sends a "locked" or "stolen" notification for lock `name`. */
  notifyLock(method: 'locked' | 'stolen', name: string): void;
}

export class LockTable {
  private readonly queues = new Map<string, LockHolder[]>();

  owner(name: string): LockHolder | undefined {
    return this.queues.get(name)?.[0];
  }

  isQueued(name: string, who: LockHolder): boolean {
    return this.queues.get(name)?.includes(who) ?? false;
  }

  /** Joins the queue; true when `who` owns the lock right away. */
  lock(name: string, who: LockHolder): boolean {
    let q = this.queues.get(name);
    if (!q) this.queues.set(name, (q = []));
    q.push(who);
    return q[0] === who;
  }

  /** Takes the lock; the victim (if any) is told "stolen" and stays queued behind `who`. */
  steal(name: string, who: LockHolder): void {
    let q = this.queues.get(name);
    if (!q) this.queues.set(name, (q = []));
    const victim = q[0];
    q.unshift(who);
    if (victim && victim !== who) victim.notifyLock('stolen', name);
  }

  /** Leaves the queue of `name`; returns false when `who` was not queued. Notifies the owner
   *  after the change with "locked" (after the caller's reply, via `defer`). */
  unlock(name: string, who: LockHolder, defer: (fn: () => void) => void = (fn) => fn()): boolean {
    const q = this.queues.get(name);
    if (!q) return false;
    const i = q.indexOf(who);
    if (i < 0) return false;
    q.splice(i, 1);
    if (q.length === 0) {
      this.queues.delete(name);
      return true;
    }
    const owner = q[0];
    defer(() => owner.notifyLock('locked', name));
    return true;
  }

  /** Everything `who` holds or waits for, for cleanup on disconnect. */
  namesOf(who: LockHolder): string[] {
    const out: string[] = [];
    for (const [name, q] of this.queues) if (q.includes(who)) out.push(name);
    return out;
  }
}
