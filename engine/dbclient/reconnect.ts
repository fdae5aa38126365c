// OVS's reconnect state machine as ovsdb-client's reconnecting sessions use it (several remotes in
// one SERVER argument, and "wait"): remotes tried in turn, each attempt and its outcome logged at
// INFO by the "reconnect" module, free retries while untried remotes remain, then a backoff from
// 1 s doubling to 8 s (logged until it reaches the maximum, then quiet).
import type { RpcOvsdbClient } from '../rpc/client.js';
import { causeText } from '../util/errno-text.js';
import { vlog } from '../util/vlog.js';

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 8000;

export type Connector = (remote: string) => Promise<RpcOvsdbClient>;

export class ReconnectingSession {
  private readonly remotes: readonly string[];
  private readonly connector: Connector;
  private readonly log = vlog.module('reconnect');
  private next = 0;
  private backoffMs = 0;
  private freeTries: number;
  private triesLeft: number;
  private connectedAt = 0;
  /** The remote of the last attempt. */
  name = '';

  /** `retry` false: each remote is tried once (then connect() gives undefined). */
  constructor(remotes: readonly string[], retry: boolean, connector: Connector) {
    this.remotes = remotes;
    this.connector = connector;
    this.freeTries = remotes.length;
    this.triesLeft = retry ? Infinity : remotes.length;
  }

  /** The next connection, after the backoff; undefined when no tries are left. */
  async connect(): Promise<RpcOvsdbClient | undefined> {
    for (;;) {
      if (this.triesLeft <= 0) return undefined;
      this.triesLeft--;
      if (this.backoffMs > 0) await new Promise((r) => setTimeout(r, this.backoffMs));
      this.name = this.remotes[this.next++ % this.remotes.length]!;
      this.log.info(`${this.name}: connecting...`);
      try {
        const rpc = await this.connector(this.name);
        this.log.info(`${this.name}: connected`);
        this.connectedAt = Date.now();
        return rpc;
      } catch (e) {
        if (this.backoffMs < MAX_BACKOFF_MS) this.log.info(`${this.name}: connection attempt failed (${causeText(e)})`);
        this.backOff(false);
      }
    }
  }

  /** The connection given by connect() was closed by the peer. */
  closedByPeer(): void {
    this.log.info(`${this.name}: connection closed by peer`);
    this.backOff(true);
  }

  /** We drop the connection to try another remote (OVS's force_reconnect). */
  dropped(): void {
    this.log.info(`${this.name}: connection dropped`);
    this.backOff(true);
  }

  private backOff(wasConnected: boolean): void {
    if (this.freeTries > 1) {
      this.freeTries--;
      this.backoffMs = 0;
    } else if (wasConnected && Date.now() - this.connectedAt >= this.backoffMs) {
      this.backoffMs = MIN_BACKOFF_MS;
    } else if (this.backoffMs < MIN_BACKOFF_MS) {
      this.backoffMs = MIN_BACKOFF_MS;
    } else if (this.backoffMs < MAX_BACKOFF_MS / 2) {
      this.backoffMs *= 2;
      this.log.info(`${this.name}: waiting ${this.backoffMs / 1000} seconds before reconnect`);
    } else {
      if (this.backoffMs < MAX_BACKOFF_MS) this.log.info(`${this.name}: continuing to reconnect in the background but suppressing further logging`);
      this.backoffMs = MAX_BACKOFF_MS;
    }
  }
}
