// The TLS material of an ssl:/pssl: connection as OVS programs name it on their command lines
// (-p/--private-key, -c/--certificate, -C/--ca-cert), and the check the clients make before an
// ssl: connection. Its own module (no node:tls, no sockets): ovs-vsctl's option handling uses it
// without loading the connection code.
import { BadRemoteError } from './errors.js';

/** File names (PEM) of the TLS material, as ovsdb-server's -p/-c/-C options. */
export interface TlsFiles {
  privateKey: string;
  certificate: string;
  caCert: string;
}

/** The files for `target` when it is an ssl: target, undefined for any other; throws
 *  BadRemoteError naming the first missing one as stream-ssl does ("Private key must be configured
 *  to use SSL"). */
export function tlsFilesFor(target: string, given: Partial<TlsFiles>): TlsFiles | undefined {
  if (!target.startsWith('ssl:')) return undefined;
  const missing = !given.privateKey ? 'Private key' : !given.certificate ? 'Certificate' : !given.caCert ? 'CA certificate' : undefined;
  if (missing) throw new BadRemoteError(`${missing} must be configured to use SSL: give -p/--private-key, -c/--certificate and -C/--ca-cert`);
  return { privateKey: given.privateKey!, certificate: given.certificate!, caCert: given.caCert! };
}
