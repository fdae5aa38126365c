// The commits monitor_cond_since answers from: a client that reconnects with the last transaction
// id it was told gets only the commits after it, when that id is among the last `limit` commits
// (otherwise found=false and the whole contents).
//
// A client knows only ids it was told, and only monitor_cond_since monitors tell any: the reply
// names the last commit (`told`), and update3 notifications name commits made while such a
// monitor exists (`commit` with watched=true). So commits are recorded from a telling on, and
// stop being recorded `limit` commits after the last one: by then, any id a client knows has
// `limit` commits after it, is no longer among the last `limit`, and the answer without the
// history is the one it would be with it. When nobody uses monitor_cond_since, no commit is kept
// (before, the changes of the last 100 to 216 commits, and the rows they refer to, stayed alive
// for nobody). ovsdb-server itself keeps a history only for clustered and relay databases.
import type { CommittedChange } from '../ovsdb/api.js';

export class TxnHistory {
  /** Recorded commits, oldest first; the first may be a telling's mark (no tables changed). */
  private entries: CommittedChange[] = [];
  /** Commits still to record after the last telling. */
  private left = 0;

  constructor(readonly limit: number) {}

  /** A monitor_cond_since reply tells a client `txnId`, the last commit. */
  told(txnId: string): void {
    if (this.limit <= 0) return;
    // Not recording: the history starts here, with a mark for the commit the client was told of.
    if (this.left === 0) this.entries = txnId ? [{ txnId, tables: new Map() }] : [];
    this.left = this.limit;
  }

  /** A commit; `watched`: a monitor_cond_since monitor exists and will be told its id. */
  commit(change: CommittedChange, watched: boolean): void {
    if (this.limit <= 0 || (!watched && this.left === 0)) return;
    this.entries.push(change);
    // Trimmed in batches, not one splice per commit.
    if (this.entries.length >= 2 * this.limit + 16) this.entries.splice(0, this.entries.length - this.limit);
    if (watched) this.left = this.limit;
    else if (--this.left === 0) this.entries = [];
  }

  /** The commits after `txnId`, oldest first; undefined when it is not among the last `limit`. */
  since(txnId: string): CommittedChange[] | undefined {
    const n = this.entries.length;
    for (let k = n - 1; k >= 0 && k >= n - this.limit; k--) {
      if (this.entries[k]!.txnId === txnId) return this.entries.slice(k + 1);
    }
    return undefined;
  }

  /** @internal Commits held now (marks included). */
  get size(): number {
    return this.entries.length;
  }
}
