// One JSON-RPC session over a byte stream (unix socket, TCP, TLS, named pipe), used by both the
// server and the client: splits incoming bytes into messages, matches replies to requests,
// answers `echo`, bounds what it buffers in both directions, and probes an idle peer.
import type { Duplex } from 'node:stream';
import type { Json } from '../ovsdb/api.js';
import { ConnectionClosedError, RpcError } from './errors.js';
import {
  JsonSplitter, encodeMessageText, parseMessage, type JsonRpcMessage, type SplitterOptions,
} from './jsonrpc.js';
import { silentLogger, type Logger } from './logger.js';
import { writeSync } from 'node:fs';
import { directWriteFd, setDirectReceiver } from './stream.js';
import { stringifyJson } from '../util/json-int64.js';

export interface ConnectionOptions extends SplitterOptions {
  /** Name used in log lines (e.g. "unix:/run/db.sock" or "tcp:10.0.0.1:51234"). */
  name?: string;
  logger?: Logger;
  /** Bytes queued for sending beyond which the peer is considered stuck and is disconnected.
   *  Default: unbounded (clients); the server sets a limit. */
  maxSendBacklog?: number;
  /** Inactivity probe: after this many ms with nothing received, send `echo`; if still nothing
   *  after as long again, disconnect. 0 (default) disables it. */
  probeIntervalMs?: number;
  /** Answer `echo` requests from the peer automatically (default true). */
  answerEcho?: boolean;
  /** Sees every message sent (through send) and received, before it is handled (e.g. OVS's
   *  jsonrpc debug log lines). */
  trace?: (direction: 'send' | 'received', msg: JsonRpcMessage) => void;
}

export type RequestHandler = (method: string, params: Json[], id: Json) => void;
export type NotificationHandler = (method: string, params: Json[]) => void;

interface Pending {
  method: string;
  resolve: (v: Json) => void;
  reject: (e: Error) => void;
}

export class JsonRpcConnection {
  readonly name: string;
  private readonly socket: Duplex;
  private readonly splitter: JsonSplitter;
  private readonly logger: Logger;
  private readonly maxSendBacklog: number;
  private readonly answerEcho: boolean;
  private readonly trace: ConnectionOptions['trace'];
  private readonly pending = new Map<string, Pending>();
  private nextId = 0;
  private closedFlag = false;
  private closeReason: string | undefined;
  private readonly closeListeners: ((reason: string | undefined) => void)[] = [];
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly probeIntervalMs: number;
  private lastReceive = Date.now();
  private probeSent = false;
  /** Output of this event-loop turn, written as one chunk (see sendText). */
  private outQueue: (string | Buffer)[] = [];
  private outChars = 0;
  private flushScheduled = false;
  /** True while a received chunk is being handled: replies wait for its end (receive). */
  private receiving = false;
  private writesInFlight = 0;
  private readonly drainListeners: (() => void)[] = [];
  /** The socket's descriptor when output may be written to it directly (see directWriteFd). */
  private readonly directFd: number | undefined;
  /** Set by the owner: called for every request except `echo` (when answered here). */
  onRequest: RequestHandler = (method, _params, id) => this.sendError(id, 'unknown method');
  onNotification: NotificationHandler = () => {};

  constructor(socket: Duplex, options: ConnectionOptions = {}) {
    this.socket = socket;
    this.name = options.name ?? 'jsonrpc';
    this.logger = options.logger ?? silentLogger;
    this.maxSendBacklog = options.maxSendBacklog ?? Infinity;
    this.answerEcho = options.answerEcho ?? true;
    this.trace = options.trace;
    this.probeIntervalMs = options.probeIntervalMs ?? 0;
    this.splitter = new JsonSplitter(options);
    if (!setDirectReceiver(socket, (bytes) => this.receive(bytes))) socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.directFd = directWriteFd(socket);
    socket.on('end', () => {
      const why = this.splitter.idle ? 'connection closed by peer' : `connection closed by peer in the middle of a message (${this.splitter.pendingBytes} bytes pending)`;
      this.close(why);
    });
    socket.on('error', (e: Error) => this.close(`connection error: ${e.message}`));
    socket.on('close', () => this.close(this.closeReason ?? 'connection closed'));
    if (this.probeIntervalMs > 0) this.armProbe();
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Bytes queued for sending: not yet accepted by the kernel, or not yet written at all. */
  get sendBacklog(): number {
    return this.socket.writableLength + this.outChars;
  }

  /** True while earlier output still waits for the kernel to accept it (the peer is not reading
   *  as fast as we write). The server then holds monitor updates and merges them, as OVS does. */
  get writeBlocked(): boolean {
    return this.socket.writableLength > 0;
  }

  /** Calls `listener` each time everything sent so far has been handed to the kernel. */
  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  onClose(listener: (reason: string | undefined) => void): void {
    if (this.closedFlag) queueMicrotask(() => listener(this.closeReason));
    else this.closeListeners.push(listener);
  }

  /** Sends a request and resolves with its `result`; rejects with RpcError on an error reply and
   *  ConnectionClosedError if the connection closes first. */
  request(method: string, params: Json[]): Promise<Json> {
    if (this.closedFlag) return Promise.reject(new ConnectionClosedError(`${this.name}: cannot send "${method}": ${this.closeReason ?? 'connection closed'}`));
    const id = this.nextId++;
    return new Promise<Json>((resolve, reject) => {
      this.pending.set(stringifyJson(id), { method, resolve, reject });
      this.send({ kind: 'request', method, params, id });
    });
  }

  notify(method: string, params: Json[]): void {
    this.send({ kind: 'notification', method, params });
  }

  sendReply(id: Json, result: Json): void {
    this.send({ kind: 'reply', result, id });
  }

  sendError(id: Json, error: Json): void {
    this.send({ kind: 'error', error, id });
  }

  send(msg: JsonRpcMessage): void {
    if (this.closedFlag) return;
    // A peer that leaves more than maxSendBacklog bytes unread is dropped; the check looks at what
    // was already queued, so one big message to an attentive peer always goes through.
    const queued = this.sendBacklog;
    if (queued > this.maxSendBacklog) {
      this.logger.warn(`${this.name}: ${queued} bytes queued and not read by the peer (limit ${this.maxSendBacklog} bytes), disconnecting slow peer`);
      this.close(`send backlog exceeded ${this.maxSendBacklog} bytes`, true);
      return;
    }
    this.trace?.('send', msg);
    this.enqueue(encodeMessageText(msg));
  }

  /** Sends one already-encoded message (the exact JSON text of a JSON-RPC message, or its UTF-8
   *  bytes, which may be shared with other connections and are not modified), with the same
   *  backlog rule as `send`. */
  sendText(text: string | Buffer): void {
    if (this.checkBacklog(0)) this.enqueue(text);
  }

  /** False (and the peer dropped, with a log line) when what is queued for it plus `owed` bytes
   *  not yet queued (e.g. monitor updates held for it) exceeds the send backlog limit. */
  checkBacklog(owed: number): boolean {
    if (this.closedFlag) return false;
    const queued = this.sendBacklog + owed;
    if (queued <= this.maxSendBacklog) return true;
    this.logger.warn(`${this.name}: ${queued} bytes queued and not read by the peer (limit ${this.maxSendBacklog} bytes), disconnecting slow peer`);
    this.close(`send backlog exceeded ${this.maxSendBacklog} bytes`, true);
    return false;
  }

  /** Messages sent while handling one event (e.g. the replies to every request of one chunk, or
   *  one monitor flush round) go out in one write, as soon as that handling is done (one system
   *  call per peer per event instead of one per message); order is kept. */
  private enqueue(text: string | Buffer): void {
    this.outQueue.push(text);
    this.outChars += text.length;
    if (!this.flushScheduled && !this.receiving) {
      this.flushScheduled = true;
      process.nextTick(this.flushOut);
    }
  }

  private readonly flushOut = (): void => {
    this.flushScheduled = false;
    const q = this.outQueue;
    if (q.length === 0) return;
    this.outQueue = [];
    this.outChars = 0;
    if (this.socket.destroyed || this.socket.writableEnded) return;
    let data: string | Buffer;
    if (q.length === 1) data = q[0]!;
    else if (q.every((x) => typeof x === 'string')) data = q.join('');
    else data = Buffer.concat(q.map((x) => (typeof x === 'string' ? Buffer.from(x, 'utf8') : x)));
    if (this.directFd !== undefined && this.writesInFlight === 0 && this.socket.writableLength === 0) {
      // Nothing is queued in the stream, so a direct write keeps the order. Text is written as
      // text (Node encodes it into a buffer of its own: no Buffer object per reply).
      const size = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
      let n = 0;
      try {
        // (Two calls: writeSync's string and buffer forms are separate overloads.)
        n = typeof data === 'string' ? writeSync(this.directFd, data) : writeSync(this.directFd, data);
      } catch {
        // EAGAIN (the peer's buffer is full) or an error: the stream write below queues the bytes
        // or reports the error as for any write.
      }
      if (n === size) {
        if (this.drainListeners.length) process.nextTick(this.afterDirectWrite);
        return;
      }
      data = (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).subarray(n);
    }
    this.writesInFlight++;
    this.socket.write(data, this.afterWrite);
  };

  /** As afterWrite, for output the kernel took at once in a direct write. */
  private readonly afterDirectWrite = (): void => {
    this.writesInFlight++;
    this.afterWrite();
  };

  private readonly afterWrite = (): void => {
    this.writesInFlight--;
    if (this.writesInFlight > 0 || this.outQueue.length > 0 || this.closedFlag) return;
    for (const l of this.drainListeners) {
      try { l(); } catch (e) { this.logger.err(`${this.name}: drain listener failed: ${(e as Error).message}`); }
    }
  };

  /** Closes the connection (idempotent). Pending requests reject with ConnectionClosedError.
   *  Queued output is flushed first unless `abort` (a stuck or unresponsive peer). */
  close(reason?: string, abort = false): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.closeReason = reason;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    if (this.pending.size) {
      // (An error object costs a stack trace: made only when some request is waiting for it.)
      const err = new ConnectionClosedError(`${this.name}: ${reason ?? 'connection closed'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    }
    // Let queued replies (e.g. a final JSON-RPC error) flush, then make sure the socket goes away.
    if (abort) {
      this.outQueue = [];
      this.outChars = 0;
    } else {
      this.flushOut();
    }
    this.socket.end();
    const s = this.socket;
    const t = setTimeout(() => s.destroy(), 1000);
    t.unref();
    s.once('close', () => clearTimeout(t));
    if (abort) s.destroy();
    for (const l of this.closeListeners.splice(0)) {
      try { l(reason); } catch (e) { this.logger.err(`${this.name}: close listener failed: ${(e as Error).message}`); }
    }
  }

  private receive(chunk: Buffer): void {
    if (this.closedFlag) return;
    this.lastReceive = Date.now();
    this.probeSent = false;
    // What the chunk's requests answer at once goes out in one write when the chunk is done,
    // here, rather than from a nextTick callback (one more entry into JavaScript per chunk).
    this.receiving = true;
    try {
      this.receiveMessages(chunk);
    } finally {
      this.receiving = false;
      if (this.outQueue.length && !this.flushScheduled) this.flushOut();
    }
  }

  private receiveMessages(chunk: Buffer): void {
    let values: Json[];
    try {
      values = this.splitter.push(chunk);
    } catch (e) {
      this.protocolFailure(e as Error);
      return;
    }
    for (const v of values) {
      if (this.closedFlag) return;
      let msg: JsonRpcMessage;
      try {
        msg = parseMessage(v);
      } catch (e) {
        this.protocolFailure(e as Error);
        return;
      }
      this.dispatch(msg);
    }
  }

  /** Bad bytes or a bad message: tell the peer with a JSON-RPC error where possible, then close
   *  only this connection. */
  private protocolFailure(e: Error): void {
    this.logger.warn(`${this.name}: ${e.message}, disconnecting`);
    this.sendError(null, { error: 'syntax error', details: e.message });
    this.close(`protocol error: ${e.message}`);
  }

  private dispatch(msg: JsonRpcMessage): void {
    this.trace?.('received', msg);
    switch (msg.kind) {
      case 'request':
        if (msg.method === 'echo' && this.answerEcho) {
          this.sendReply(msg.id, msg.params);
          return;
        }
        try {
          this.onRequest(msg.method, msg.params, msg.id);
        } catch (e) {
          this.logger.err(`${this.name}: handler for "${msg.method}" failed: ${(e as Error).message}`);
          this.sendError(msg.id, { error: 'internal error', details: (e as Error).message });
        }
        return;
      case 'notification':
        try {
          this.onNotification(msg.method, msg.params);
        } catch (e) {
          this.logger.err(`${this.name}: handler for notification "${msg.method}" failed: ${(e as Error).message}`);
        }
        return;
      case 'reply':
      case 'error': {
        const key = stringifyJson(msg.id);
        const p = this.pending.get(key);
        if (!p) {
          this.logger.dbg(`${this.name}: reply to unknown id ${key} ignored`);
          return;
        }
        this.pending.delete(key);
        if (msg.kind === 'reply') p.resolve(msg.result);
        else p.reject(new RpcError(p.method, msg.error));
      }
    }
  }

  private armProbe(delayMs = this.probeIntervalMs): void {
    this.probeTimer = setTimeout(() => this.probeTick(), Math.max(1, delayMs));
    this.probeTimer.unref();
  }

  private probeTick(): void {
    if (this.closedFlag) return;
    const idle = Date.now() - this.lastReceive;
    if (idle >= this.probeIntervalMs) {
      if (this.probeSent) {
        this.logger.err(`${this.name}: no response to inactivity probe after ${(idle / 1000).toFixed(1)} seconds, disconnecting`);
        this.close('no response to inactivity probe', true);
        return;
      }
      this.probeSent = true;
      this.lastReceive = Date.now();
      this.logger.dbg(`${this.name}: idle ${idle} ms, sending inactivity probe`);
      this.request('echo', []).catch(() => {});
      this.armProbe(this.probeIntervalMs);
      return;
    }
    this.armProbe(this.probeIntervalMs - idle);
  }
}
