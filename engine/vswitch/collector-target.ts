// Collectors of the flow-export tables: their addresses (sFlow `targets`, NetFlow `targets`, IPFIX
// `targets`): "IP:PORT", where sFlow also allows a bare IP (its port defaults to 6343).
import { createSocket, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { InvalidInputError } from '../util/errors.js';

export interface CollectorTarget { host: string; port: number }

/** Parses `s`; `what` names the table in errors; `defaultPort` makes the port optional. */
export function parseCollectorTarget(s: string, what: string, defaultPort?: number): CollectorTarget {
  const m = /^([0-9.]+)(?::(\d+))?$/.exec(s.trim());
  if (!m || !isIPv4(m[1]!) || (m[2] === undefined && defaultPort === undefined)) {
    throw new InvalidInputError(`${what} target "${s}" is not IPv4${defaultPort === undefined ? ':PORT' : '[:PORT]'}`);
  }
  const port = m[2] === undefined ? defaultPort! : Number(m[2]);
  if (!(port >= 1 && port <= 65535)) throw new InvalidInputError(`${what} target "${s}": port ${m[2]} is out of range (1..65535)`);
  return { host: m[1]!, port };
}

/** The UDP socket a flow exporter sends its datagrams from: made on first use, never keeps the
 *  process alive, reports send errors as `<what> to HOST:PORT: ...` lines. */
export class CollectorSocket {
  private socket?: Socket;
  /** Datagrams handed to the socket (one per target) and those whose send failed. */
  sent = 0;
  errors = 0;

  constructor(private readonly what: string, private readonly onError: (m: string) => void) {}

  send(datagram: Buffer, targets: readonly CollectorTarget[]): void {
    if (!this.socket) {
      this.socket = createSocket('udp4');
      this.socket.on('error', (e) => this.onError(`${this.what} socket: ${e.message}`));
      this.socket.unref();
    }
    for (const t of targets) {
      this.sent++;
      this.socket.send(datagram, t.port, t.host, (e) => { if (e) { this.errors++; this.onError(`${this.what} to ${t.host}:${t.port}: ${e.message}`); } });
    }
  }

  /** Closes after the datagrams just sent have left. */
  close(): void {
    const s = this.socket;
    this.socket = undefined;
    if (s) setTimeout(() => { try { s.close(); } catch { /* closed */ } }, 50).unref();
  }
}
