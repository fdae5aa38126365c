// Collector addresses of the flow-export tables (sFlow `targets`, NetFlow `targets`, IPFIX
// `targets`): "IP:PORT", where sFlow also allows a bare IP (its port defaults to 6343).
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
