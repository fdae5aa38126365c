// The control socket of OVS daemons (lib/unixctl.c behaviour): JSON-RPC 1.0 over a local stream socket at
// <rundir>/<program>.<pid>.ctl (or --unixctl=PATH, relative to the rundir; "none" = no socket).
// Requests are {"method": COMMAND, "params": [string...], "id": X}; replies carry a string body:
// {"id":X,"result":"text\n","error":null} or {"id":X,"error":"text\n"}. One request at a time per
// connection; anything that is not a request closes the connection. Also the client side used by
// ovs-appctl.
import { applyPipeAccess } from '../rpc/win-pipe-acl.js';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { OvsError } from './errors.js';
import { JsonSplitter } from '../rpc/jsonrpc.js';
import { absFileName, isInRundir, localSocketEndpoint, ovsRundir } from './ovs-paths.js';
import { addFileToUnlink, removeFileToUnlink } from './daemon.js';
import { listenErrorText, strerror, vlog } from './vlog.js';

const log = vlog.module('unixctl');

/** Thrown by a command handler to send an error reply with this text. */
export class UnixctlCommandError extends OvsError {
  constructor(message: string) {
    super('OVS_E_UNIXCTL_COMMAND', message);
  }
}

/** Failure to reach or talk to a control socket; `errno` is the system error code (ENOENT, ...). */
export class UnixctlClientError extends OvsError {
  constructor(readonly errno: string, message: string) {
    super('OVS_E_UNIXCTL_CLIENT', message);
  }
}

export type UnixctlHandler = (args: string[]) => string | undefined | Promise<string | undefined>;

interface Command {
  usage: string | undefined;
  min: number;
  max: number;
  handler: UnixctlHandler;
}

export interface UnixctlServerOptions {
  /** --unixctl value: undefined = default path, "none" = no control socket. */
  path?: string;
  programName: string;
  /** Reply of `version`, e.g. "ovsdb-server (Open vSwitch) 3.1.0". */
  version: string;
  rundir?: string;
}

/** Body normalisation of unixctl_command_reply__: non-empty bodies end with a newline. */
function normaliseBody(body: string | undefined): string {
  if (!body) return '';
  return body.endsWith('\n') ? body : body + '\n';
}

/** The command registry plus (optionally) a listening control socket. */
export class UnixctlServer {
  private commands = new Map<string, Command>();
  private server: Server | undefined;
  private conns = new Set<Socket>();
  readonly path: string | undefined;

  private constructor(path: string | undefined, version: string) {
    this.path = path;
    this.register('list-commands', '', 0, 0, () => this.listCommands());
    this.register('version', '', 0, 0, () => version);
  }

  /** Creates the control socket (removing a stale one at the same path). Throws UnixctlClientError
   *  with OVS's "PATH: could not initialize control socket" wording when it cannot. */
  static async create(opts: UnixctlServerOptions): Promise<UnixctlServer> {
    if (opts.path === 'none') return new UnixctlServer(undefined, opts.version);
    const rundir = opts.rundir ?? ovsRundir();
    const path = opts.path !== undefined ? absFileName(rundir, opts.path)
      : process.platform === 'win32' ? `${rundir}/${opts.programName}.ctl`
      : `${rundir}/${opts.programName}.${process.pid}.ctl`;
    const s = new UnixctlServer(path, opts.version);
    await s.listen(path);
    return s;
  }

  /** A registry with no socket (for in-process use and tests). */
  static detached(version: string): UnixctlServer {
    return new UnixctlServer(undefined, version);
  }

  private async listen(path: string): Promise<void> {
    const endpoint = localSocketEndpoint(path);
    if (endpoint === path) {
      // Only the run directory is made when missing (isInRundir); elsewhere listen reports it.
      if (isInRundir(path)) try { mkdirSync(dirname(path), { recursive: true }); } catch { /* reported by listen */ }
      try { unlinkSync(path); } catch { /* not there */ }
    }
    const server = createServer((sock) => this.accept(sock));
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new UnixctlClientError(e.code ?? 'EIO', `${path}: could not initialize control socket (${endpoint === path ? listenErrorText(e, path) : strerror(e)})`)));
      server.listen(endpoint, () => resolveListen());
    });
    server.on('error', (e) => log.warn(`${path}: ${e.message}`));
    if (endpoint === path) {
      try { chmodSync(path, 0o750); } catch { /* best effort */ }
      addFileToUnlink(path);
    } else if (process.platform === 'win32') {
      const access = applyPipeAccess(endpoint);
      if (access.ok) log.info(access.message); else log.warn(access.message);
    }
    this.server = server;
  }

  /** unixctl_command_register: `usage` undefined hides the command from list-commands. Registering
   *  an existing name keeps the first registration. */
  register(name: string, usage: string | undefined, minArgs: number, maxArgs: number, handler: UnixctlHandler): void {
    if (this.commands.has(name)) return;
    this.commands.set(name, { usage, min: minArgs, max: maxArgs, handler });
  }

  has(name: string): boolean { return this.commands.has(name); }

  listCommands(): string {
    let s = 'The available commands are:\n';
    const names = [...this.commands.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const n of names) {
      const c = this.commands.get(n)!;
      if (c.usage !== undefined) s += `  ${n.padEnd(23)} ${c.usage}\n`;
    }
    return s;
  }

  /** Runs a command as if it came over the socket; resolves with the reply. */
  async execute(method: string, params: unknown[]): Promise<{ ok: boolean; body: string }> {
    const c = this.commands.get(method);
    let error: string | undefined;
    if (!c) error = `"${method}" is not a valid command (use "list-commands" to see a list of valid commands)`;
    else if (params.length < c.min) error = `"${method}" command requires at least ${c.min} arguments`;
    else if (params.length > c.max) error = `"${method}" command takes at most ${c.max} arguments`;
    else if (params.some((p) => typeof p !== 'string')) error = `"${method}" command has non-string argument`;
    if (error !== undefined || !c) return { ok: false, body: normaliseBody(error) };
    try {
      const body = await c.handler(params as string[]);
      return { ok: true, body: normaliseBody(body) };
    } catch (e) {
      if (!(e instanceof UnixctlCommandError) && !(e instanceof OvsError)) log.err(`${method}: ${(e as Error).stack ?? e}`);
      return { ok: false, body: normaliseBody((e as Error).message) };
    }
  }

  private accept(sock: Socket): void {
    this.conns.add(sock);
    const splitter = new JsonSplitter({ maxMessageBytes: 16 * 1024 * 1024 });
    const queue: unknown[] = [];
    let busy = false;
    const drop = (why: string) => {
      log.dbg(`${this.path}: closing connection: ${why}`);
      sock.destroy();
    };
    const pump = async () => {
      if (busy) return;
      busy = true;
      while (queue.length > 0 && !sock.destroyed) {
        const msg = queue.shift() as Record<string, unknown>;
        const isRequest = msg !== null && typeof msg === 'object' && !Array.isArray(msg)
          && typeof msg.method === 'string' && Array.isArray(msg.params) && 'id' in msg && msg.id !== null;
        if (!isRequest) {
          log.warn(`${this.path}: received unexpected ${describe(msg)} message`);
          drop('unexpected message');
          break;
        }
        log.dbg(`received request ${msg.method as string}${JSON.stringify(msg.params)}, id=${JSON.stringify(msg.id)}`);
        const r = await this.execute(msg.method as string, msg.params as unknown[]);
        const id = JSON.stringify(msg.id);
        const text = r.ok
          ? `{"id":${id},"result":${JSON.stringify(r.body)},"error":null}`
          : `{"id":${id},"error":${JSON.stringify(r.body)}}`;
        if (!sock.destroyed) sock.write(text);
      }
      busy = false;
    };
    sock.on('data', (chunk: Buffer) => {
      let msgs: unknown[];
      try {
        msgs = splitter.push(chunk);
      } catch (e) {
        log.warn(`${this.path}: ${(e as Error).message}`);
        drop('parse error');
        return;
      }
      queue.push(...msgs);
      void pump();
    });
    sock.on('error', () => { /* peer went away */ });
    sock.on('close', () => this.conns.delete(sock));
  }

  /** Stops listening, drops connections, removes the socket file. */
  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    this.conns.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    if (this.path && localSocketEndpoint(this.path) === this.path) {
      try { unlinkSync(this.path); } catch { /* gone */ }
      removeFileToUnlink(this.path);
    }
  }
}

function describe(msg: unknown): string {
  if (msg && typeof msg === 'object' && !Array.isArray(msg)) {
    const m = msg as Record<string, unknown>;
    if ('method' in m) return m.id === null || m.id === undefined ? 'notification' : 'request';
    if ('error' in m && m.error !== null) return 'error';
    if ('result' in m) return 'reply';
  }
  return 'invalid';
}

export interface UnixctlReply {
  /** Present on success. */
  result?: string;
  /** Present when the server replied with an error. */
  error?: string;
}

/** A client connection to a control socket (ovs-appctl's side). */
export class UnixctlClient {
  private splitter = new JsonSplitter();
  private waiters: Array<{ id: number; resolve: (r: UnixctlReply) => void; reject: (e: Error) => void }> = [];
  private nextId = 0;
  private closedError: Error | undefined;

  private constructor(private readonly sock: Socket, readonly path: string) {
    sock.on('data', (chunk: Buffer) => {
      let msgs: unknown[];
      try { msgs = this.splitter.push(chunk); } catch (e) { this.fail(new UnixctlClientError('EPROTO', (e as Error).message)); return; }
      for (const m of msgs) this.onMessage(m as Record<string, unknown>);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => this.fail(new UnixctlClientError(e.code ?? 'EIO', strerror(e))));
    sock.on('close', () => this.fail(new UnixctlClientError('EOF', 'End of file')));
  }

  /** Connects; throws UnixctlClientError (errno ENOENT, ECONNREFUSED, ...) when it cannot. */
  static connect(path: string): Promise<UnixctlClient> {
    return new Promise((resolveConn, reject) => {
      const sock = createConnection(localSocketEndpoint(path));
      const onError = (e: NodeJS.ErrnoException) => reject(new UnixctlClientError(e.code ?? 'EIO', strerror(e)));
      sock.once('error', onError);
      sock.once('connect', () => {
        sock.off('error', onError);
        resolveConn(new UnixctlClient(sock, path));
      });
    });
  }

  private onMessage(m: Record<string, unknown>): void {
    const w = this.waiters.find((x) => x.id === m.id);
    if (!w) return;
    this.waiters = this.waiters.filter((x) => x !== w);
    if (m.error !== undefined && m.error !== null) {
      if (typeof m.error === 'string') w.resolve({ error: m.error });
      else w.reject(new UnixctlClientError('EINVAL', `unexpected error type in JSON RPC reply: ${typeof m.error}`));
    } else if (typeof m.result === 'string') {
      w.resolve({ result: m.result });
    } else {
      w.reject(new UnixctlClientError('EINVAL', `unexpected result type in JSON rpc reply: ${typeof m.result}`));
    }
  }

  private fail(e: Error): void {
    if (!this.closedError) this.closedError = e;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(e);
  }

  /** Sends one command; resolves with the result or error text. */
  transact(command: string, args: string[]): Promise<UnixctlReply> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolveT, reject) => {
      this.waiters.push({ id, resolve: resolveT, reject });
      this.sock.write(JSON.stringify({ method: command, params: args, id }));
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Connects, runs one command, disconnects. */
export async function unixctlTransact(path: string, command: string, args: string[] = []): Promise<UnixctlReply> {
  const c = await UnixctlClient.connect(path);
  try {
    return await c.transact(command, args);
  } finally {
    c.close();
  }
}
