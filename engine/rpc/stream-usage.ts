// OVS's stream_usage(): the connection methods and PKI options a tool's --help lists, with the
// tool's name for its remote ("SERVER", "JSON-RPC", "database"). Each tool adds its own lines after.
export function streamUsage(name: string, passive: boolean): string {
  return `Active ${name} connection methods:
  tcp:HOST:PORT           PORT at remote HOST
  ssl:HOST:PORT           SSL PORT at remote HOST
  unix:FILE               Unix domain socket named FILE
${passive ? `Passive ${name} connection methods:
  ptcp:PORT[:IP]          listen to TCP PORT on IP
  pssl:PORT[:IP]          listen for SSL on PORT on IP
  punix:FILE              listen on Unix domain socket FILE
` : ''}PKI configuration (required to use SSL):
  -p, --private-key=FILE  file with private key
  -c, --certificate=FILE  file with certificate for private key
  -C, --ca-cert=FILE      file with peer CA certificate
`;
}
