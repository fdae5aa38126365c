// OVS connection-method strings and the byte streams behind them.
//   active:  unix:PATH   tcp:IP[:PORT]   ssl:IP[:PORT]              (PORT defaults to 6640)
//   passive: punix:PATH  ptcp:[PORT][:IP]   pssl:[PORT][:IP]         (IP defaults to 0.0.0.0)
// IPv6 addresses are written in brackets: tcp:[::1]:6640, ptcp:6640:[::1].
// A relative unix:/punix: PATH is relative to the OVS run directory (OVS_RUNDIR), as in OVS.
// On Windows unix:/punix: use a named pipe named like OVS does: "\\.\pipe\" + PATH with every
// slash and backslash removed (a PATH already starting with \\.\pipe\ is used as it is); the
// passive side also creates an empty file at PATH, which OVS clients check for.
// SSL: TLS with our key/certificate, peers verified against the CA certificate; the passive
// side requires and verifies client certificates. As OVS, host names are not checked.
import { applyPipeAccess } from './win-pipe-acl.js';
import { Socket, createConnection, createServer, type Server } from 'node:net';
import type * as Tls from 'node:tls';
import { createRequire } from 'node:module';
import { chmodSync, closeSync, lstatSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { absFileName, ovsRundir } from '../util/ovs-paths.js';
import { listenErrorText, strerror } from '../util/errno-text.js';
import { BadRemoteError } from './errors.js';
import type { TlsFiles } from './tls-files.js';

export const DEFAULT_OVSDB_PORT = 6640;

let tlsModule: typeof Tls | undefined;
/** node:tls, loaded on first use: only ssl: and pssl: need it, and loading it (with OpenSSL's
 *  setup) would add about 10 ms to the start of every command-line tool. */
function tls(): typeof Tls {
  return (tlsModule ??= createRequire(import.meta.url)('node:tls') as typeof Tls);
}

export type ActiveTarget =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp' | 'ssl'; host: string; port: number };

export type PassiveRemote =
  | { kind: 'punix'; path: string }
  | { kind: 'ptcp' | 'pssl'; host: string; port: number };

export type { TlsFiles } from './tls-files.js';

export function parseActiveTarget(target: string): ActiveTarget {
  const colon = target.indexOf(':');
  const method = colon < 0 ? '' : target.slice(0, colon);
  const rest = target.slice(colon + 1);
  if (method === 'unix') {
    if (rest === '') throw new BadRemoteError(`"${target}": unix: needs a socket path`);
    return { kind: 'unix', path: rest };
  }
  if (method === 'tcp' || method === 'ssl') {
    const { host, port } = splitHostPort(target, rest);
    if (host === '') throw new BadRemoteError(`"${target}": ${method}: needs an IP address`);
    return { kind: method, host, port: port ?? DEFAULT_OVSDB_PORT };
  }
  throw new BadRemoteError(`"${target}" is not a supported connection method (expected unix:PATH, tcp:IP[:PORT] or ssl:IP[:PORT])`);
}

export function parsePassiveRemote(remote: string): PassiveRemote {
  const colon = remote.indexOf(':');
  const method = colon < 0 ? '' : remote.slice(0, colon);
  const rest = remote.slice(colon + 1);
  if (method === 'punix') {
    if (rest === '') throw new BadRemoteError(`"${remote}": punix: needs a socket path`);
    return { kind: 'punix', path: rest };
  }
  if (method === 'ptcp' || method === 'pssl') {
    // ptcp:[PORT][:IP]
    let portText = rest;
    let host = '0.0.0.0';
    const c = rest.indexOf(':');
    if (c >= 0) {
      portText = rest.slice(0, c);
      host = unbracket(rest.slice(c + 1));
      if (host === '') throw new BadRemoteError(`"${remote}": empty IP address after the port`);
    }
    const port = portText === '' ? DEFAULT_OVSDB_PORT : parsePort(remote, portText);
    return { kind: method, host, port };
  }
  throw new BadRemoteError(`"${remote}" is not a supported passive connection method (expected punix:PATH, ptcp:[PORT][:IP] or pssl:[PORT][:IP])`);
}

function splitHostPort(target: string, rest: string): { host: string; port?: number } {
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new BadRemoteError(`"${target}": unterminated "[" in IPv6 address`);
    const host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after === '') return { host };
    if (!after.startsWith(':')) throw new BadRemoteError(`"${target}": expected ":PORT" after "]"`);
    return { host, port: parsePort(target, after.slice(1)) };
  }
  const c = rest.lastIndexOf(':');
  if (c < 0) return { host: rest };
  if (rest.indexOf(':') !== c) return { host: rest }; // bare IPv6 without port
  return { host: rest.slice(0, c), port: parsePort(target, rest.slice(c + 1)) };
}

function parsePort(where: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new BadRemoteError(`"${where}": "${text}" is not a port number (0-65535)`);
  }
  return Number(text);
}

function unbracket(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

function formatHost(h: string): string {
  return h.includes(':') ? `[${h}]` : h;
}

/** The named pipe OVS uses on Windows for a unix: path. */
export function windowsPipeName(path: string): string {
  if (path.toLowerCase().startsWith('\\\\.\\pipe\\')) return path;
  return '\\\\.\\pipe\\' + path.replace(/[\\/]/g, '');
}

/** A unix:/punix: path made absolute against the OVS run directory. */
export function socketPath(path: string): string {
  return path.startsWith('\\\\.\\pipe\\') ? path : absFileName(ovsRundir(), path);
}

function localEndpoint(path: string): string {
  return process.platform === 'win32' ? windowsPipeName(path) : path;
}

function loadTls(files: TlsFiles): { key: Buffer; cert: Buffer; ca: Buffer } {
  try {
    return { key: readFileSync(files.privateKey), cert: readFileSync(files.certificate), ca: readFileSync(files.caCert) };
  } catch (e) {
    throw new BadRemoteError(`cannot read SSL key/certificate/CA: ${(e as Error).message}`);
  }
}

export interface ConnectOptions {
  tls?: TlsFiles;
  /** Give up connecting after this long (default 30 s). */
  timeoutMs?: number;
}

/** Opens an active connection; resolves once connected (TLS: once the handshake is done). */
export function connectStream(target: string, options: ConnectOptions = {}): Promise<Socket> {
  const t = parseActiveTarget(target);
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise<Socket>((resolve, reject) => {
    let sock: Socket;
    const event = t.kind === 'ssl' ? 'secureConnect' : 'connect';
    if (t.kind === 'unix') {
      sock = createConnection({ path: localEndpoint(socketPath(t.path)) });
    } else if (t.kind === 'tcp') {
      sock = createConnection({ host: t.host, port: t.port });
    } else {
      if (!options.tls) {
        reject(new BadRemoteError(`"${target}": ssl: needs a private key, certificate and CA certificate`));
        return;
      }
      const m = loadTls(options.tls);
      sock = tls().connect({
        host: t.host, port: t.port, key: m.key, cert: m.cert, ca: m.ca,
        rejectUnauthorized: true, checkServerIdentity: () => undefined,
      });
    }
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new BadRemoteError(`${target}: connection timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (e: Error) => {
      clearTimeout(timer);
      reject(new BadRemoteError(`${target}: connection failed: ${e.message}`, { cause: e }));
    };
    sock.once('error', onError);
    sock.once(event, () => {
      clearTimeout(timer);
      sock.off('error', onError);
      resolve(sock);
    });
  });
}

export interface ListenOptions {
  tls?: TlsFiles;
}

export interface Listener {
  /** The remote as bound, with the real port for ptcp:0 (e.g. "ptcp:40123:127.0.0.1"). */
  readonly remote: string;
  /** The matching active target a client can connect to (e.g. "tcp:127.0.0.1:40123"). */
  readonly target: string;
  /** Windows named pipes: what became of the pipe's access restriction (win-pipe-acl.ts), as a
   *  log line; `ok` false when the pipe kept its default DACL. */
  readonly pipeAccess?: { ok: boolean; message: string };
  close(): Promise<void>;
}

/** Name used for a peer in log lines. */
export function peerName(kind: string, sock: Socket): string {
  if (kind === 'punix') return 'unix';
  const addr = sock.remoteAddress ?? '?';
  return `${kind === 'pssl' ? 'ssl' : 'tcp'}:${formatHost(addr)}:${sock.remotePort ?? 0}`;
}

/** Listens on a passive remote and calls `onConnection` for every accepted stream. Failures are
 *  BadRemoteErrors whose message names the remote. */
export async function listenRemote(remote: string, onConnection: (sock: Socket, peer: string) => void,
  options: ListenOptions = {}): Promise<Listener> {
  const r = parsePassiveRemote(remote);
  let server: Server;
  const accept = (sock: Socket) => onConnection(sock, peerName(r.kind, sock));
  const acceptDirect = (sock: Socket) => accept(withDirectRead(sock));
  if (r.kind === 'pssl') {
    if (!options.tls) throw new BadRemoteError(`"${remote}": pssl: needs a private key, certificate and CA certificate`);
    let m: ReturnType<typeof loadTls>;
    try {
      m = loadTls(options.tls);
    } catch (e) {
      throw new BadRemoteError(`${remote}: ${(e as Error).message}`);
    }
    server = tls().createServer({ key: m.key, cert: m.cert, ca: m.ca, requestCert: true, rejectUnauthorized: true }, accept);
    server.on('tlsClientError', () => { /* failed handshakes only affect that peer */ });
  } else if (DIRECT_READ) {
    server = createServer({ pauseOnConnect: true }, acceptDirect);
  } else {
    server = createServer(accept);
  }
  let markerFile: string | undefined;
  let pipeAccess: Listener['pipeAccess'];
  if (r.kind === 'punix') {
    r.path = socketPath(r.path);
    const endpoint = localEndpoint(r.path);
    if (process.platform !== 'win32') removeStaleSocket(r.path);
    await listenOn(server, remote, { path: endpoint });
    if (process.platform === 'win32') {
      pipeAccess = applyPipeAccess(endpoint);
      markerFile = r.path;
      try { closeSync(openSync(r.path, 'a')); } catch { markerFile = undefined; }
    } else {
      chmodSync(r.path, 0o660);
    }
  } else {
    await listenOn(server, remote, { host: r.host, port: r.port });
  }
  let boundRemote = remote;
  let target = remote.slice(1);
  if (r.kind !== 'punix') {
    const addr = server.address();
    const port = addr && typeof addr === 'object' ? addr.port : r.port;
    boundRemote = `${r.kind}:${port}:${formatHost(r.host)}`;
    const connectHost = r.host === '0.0.0.0' ? '127.0.0.1' : r.host === '::' ? '::1' : r.host;
    target = `${r.kind === 'pssl' ? 'ssl' : 'tcp'}:${formatHost(connectHost)}:${port}`;
  }
  return {
    remote: boundRemote,
    target,
    ...(pipeAccess ? { pipeAccess } : {}),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      if (r.kind === 'punix' && process.platform !== 'win32') {
        try { unlinkSync(r.path); } catch { /* already gone */ }
      }
      if (markerFile) {
        try { unlinkSync(markerFile); } catch { /* already gone */ }
      }
    }),
  };
}

function listenOn(server: Server, remote: string, opts: { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) =>
      reject(new BadRemoteError(`${remote}: listen failed: ${'path' in opts ? listenErrorText(e, opts.path) : strerror(e)}`));
    server.once('error', onError);
    server.listen(opts, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** A socket file left by a previous run is removed (as OVS does); anything else is refused. */
function removeStaleSocket(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new BadRemoteError(`punix:${path}: ${path} exists and is not a socket; refusing to remove it`);
  unlinkSync(path);
}

// ---- Direct reads ----------------------------------------------------------------------------
// A server socket (unix or TCP, not TLS) receives through Node's `onread` option: each read's
// bytes go straight to one function, in a buffer shared by all such sockets, instead of through
// the Readable stream machinery (push, buffering, 'data' events), which cost a fifth of the
// server's CPU for a one-transaction round trip. The receiver must use or copy the bytes before
// it returns (JsonRpcConnection does: its splitter copies what it keeps). 'end', 'error' and
// 'close' are emitted as usual.

/** Off on Windows (named pipes: not measured there). */
const DIRECT_READ = process.platform !== 'win32';
let sharedReadBuffer: Buffer | undefined;
const directReceivers = new WeakMap<Socket, { receive: (bytes: Buffer) => void; fd: number | undefined }>();

/** Node's own keys (internal symbols) for a socket's `onread` buffer and callback, found on a
 *  probe socket made with `onread`; undefined if this Node does not have them (then sockets
 *  read through the stream, as usual). Probed on the first accepted socket, not at load: clients
 *  (every CLI) load this module too and never need it. */
let onreadKeys: { buffer: symbol; callback: symbol } | undefined | null = null;
function probeOnreadKeys(): { buffer: symbol; callback: symbol } | undefined {
  if (!DIRECT_READ) return undefined;
  try {
    const probe = new Socket({ onread: { buffer: Buffer.alloc(1), callback: () => true } } as unknown as ConstructorParameters<typeof Socket>[0]);
    const syms = Object.getOwnPropertySymbols(probe);
    const buffer = syms.find((k) => k.description === 'kBuffer');
    const callback = syms.find((k) => k.description === 'kBufferCb');
    probe.destroy();
    return buffer && callback ? { buffer, callback } : undefined;
  } catch {
    return undefined;
  }
}

/** Makes the accepted, not yet reading socket read into the shared buffer, as if it had been
 *  made with Node's `onread` option (which sockets accepted by a server cannot be given): the
 *  same two fields the Socket constructor sets, and the handle told to use the buffer. Then
 *  starts reading (through 'data' events when that is not possible). */
function withDirectRead(sock: Socket): Socket {
  const handle = (sock as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => void; fd?: number } })._handle;
  if (onreadKeys === null) onreadKeys = probeOnreadKeys();
  if (onreadKeys && handle && typeof handle.useUserBuffer === 'function') {
    sharedReadBuffer ??= Buffer.allocUnsafe(64 * 1024);
    const buffer = sharedReadBuffer;
    const fd = handle.fd;
    const slot = { receive: (_bytes: Buffer): void => {}, fd: typeof fd === 'number' && fd >= 0 ? fd : undefined };
    const fields = sock as unknown as Record<symbol, unknown>;
    fields[onreadKeys.buffer] = buffer;
    fields[onreadKeys.callback] = (n: number, buf: Buffer): void => { slot.receive(buf.subarray(0, n)); };
    handle.useUserBuffer(buffer);
    directReceivers.set(sock, slot);
  }
  sock.resume();
  return sock;
}

/** For a socket accepted with direct reads, its file descriptor: a reply can then be written with
 *  one write(2) (`writeSync`) when nothing else is queued, instead of through the Writable stream
 *  and libuv's write request (request object, completion queued for the next loop turn, callbacks
 *  in later ticks). A write the kernel takes only in part, or refuses (EAGAIN, or an error),
 *  continues through the stream as usual, which also reports errors. Undefined for any other
 *  stream (client connections, TLS, Windows named pipes). */
export function directWriteFd(stream: object): number | undefined {
  return directReceivers.get(stream as Socket)?.fd;
}

/** For a socket accepted with direct reads: makes `receive` get its bytes (instead of 'data'
 *  events) and returns true. False for any other stream (use 'data'). */
export function setDirectReceiver(stream: object, receive: (bytes: Buffer) => void): boolean {
  const slot = directReceivers.get(stream as Socket);
  if (!slot) return false;
  slot.receive = receive;
  return true;
}
