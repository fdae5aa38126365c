// Tunnel ports (OVS's netdev-vport tunnel config + ofproto/tunnel.c): the Interface options of a
// vxlan/geneve port parsed with OVS's rules and wording, which OpenFlow port a received tunnel
// packet belongs to (most specific match first, as tnl_find), and the egress tunnel metadata an
// output to a tunnel port puts on the packet (tnl_port_send).
import type { OdpTunnelKey } from '../channel/odp-types.js';
import { bigToIp, ipToBig } from './fields.js';

export type TunnelType = 'vxlan' | 'geneve' | 'gre' | 'stt';
export const TUNNEL_TYPES: readonly TunnelType[] = ['vxlan', 'geneve', 'gre', 'stt'];
/** UDP (STT: TCP) destination port; 0 for GRE (no ports). */
const DEFAULT_DST_PORT: Record<TunnelType, number> = { vxlan: 4789, geneve: 6081, gre: 0, stt: 7471 };
const DEFAULT_TTL = 64;
const IP_DSCP_MASK = 0xfc;

/** A tunnel port's configuration (OVS's struct netdev_tunnel_config, IPv4 endpoints). */
export interface TunnelConfig {
  type: TunnelType;
  /** Remote endpoint; undefined with remoteIpFlow (taken from the flow's tun_dst). */
  remoteIp?: string;
  remoteIpFlow: boolean;
  localIp?: string;
  localIpFlow: boolean;
  inKey: bigint;
  inKeyPresent: boolean;
  inKeyFlow: boolean;
  outKey: bigint;
  outKeyPresent: boolean;
  outKeyFlow: boolean;
  dstPort: number;
  tos: number;
  tosInherit: boolean;
  ttl: number;
  ttlInherit: boolean;
  dontFragment: boolean;
  csum: boolean;
}

export interface TunnelConfigResult { config?: TunnelConfig; error?: string; warnings: string[] }

/** C's strtoull(s, NULL, 0): the longest integer prefix, 0 when there is none, saturating. */
function strtoull(s: string): bigint {
  const t = s.trim();
  let m: RegExpExecArray | null;
  let v = 0n;
  if ((m = /^\+?0[xX]([0-9a-fA-F]+)/.exec(t))) v = BigInt('0x' + m[1]);
  else if ((m = /^\+?0([0-7]*)/.exec(t))) v = m[1] ? BigInt('0o' + m[1]) : 0n;
  else if ((m = /^\+?([0-9]+)/.exec(t))) v = BigInt(m[1]!);
  return v > 0xffffffffffffffffn ? 0xffffffffffffffffn : v;
}

/** C's atoi: leading integer, 0 otherwise. */
function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number(m[1]) | 0 : 0;
}

function parseKey(options: ReadonlyMap<string, string>, name: string): { key: bigint; present: boolean; flow: boolean } {
  const s = options.get(name) ?? options.get('key');
  if (s === undefined) return { key: 0n, present: false, flow: false };
  if (s === 'flow') return { key: 0n, present: true, flow: true };
  return { key: strtoull(s), present: true, flow: false };
}

function isMulticast(ip: string): boolean {
  const first = Number(ip.split('.')[0]);
  return first >= 224 && first <= 239;
}

/**
 * Parses a vxlan/geneve Interface's options as OVS 3.1's set_tunnel_config does. `error` (when the
 * port cannot be configured) is exactly what ovs-vswitchd writes to the Interface's error column:
 * every message gathered so far, one per line, e.g. "vx0: vxlan type requires valid 'remote_ip'
 * argument". Options OVS knows but this datapath does not model are accepted with a warning.
 */
export function parseTunnelOptions(name: string, type: TunnelType, options: ReadonlyMap<string, string>): TunnelConfigResult {
  const lines: string[] = [];
  const fail = (msg: string): TunnelConfigResult => { lines.push(msg); return { error: lines.join('\n'), warnings: [] }; };
  const cfg: TunnelConfig = {
    type, remoteIpFlow: false, localIpFlow: false, inKey: 0n, inKeyPresent: false, inKeyFlow: false, outKey: 0n, outKeyPresent: false,
    outKeyFlow: false, dstPort: DEFAULT_DST_PORT[type], tos: 0, tosInherit: false, ttl: 0, ttlInherit: false, dontFragment: true, csum: false,
  };
  const ipv6 = (v: string) => v.includes(':');
  for (const [key, value] of [...options.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    switch (key) {
      case 'remote_ip':
        if (value === 'flow') { cfg.remoteIpFlow = true; break; }
        if (ipv6(value)) return fail(`${name}: IPv6 tunnel endpoints are not supported by this datapath ('remote_ip' ${value})`);
        if (ipToBig(value) === undefined) { lines.push(`${name}: bad ${type} 'remote_ip'`); break; }
        if (isMulticast(value)) return fail(`${name}: multicast remote_ip=${value} not allowed`);
        cfg.remoteIp = value;
        break;
      case 'local_ip':
        if (value === 'flow') { cfg.localIpFlow = true; break; }
        if (ipv6(value)) return fail(`${name}: IPv6 tunnel endpoints are not supported by this datapath ('local_ip' ${value})`);
        if (ipToBig(value) === undefined) { lines.push(`${name}: bad ${type} 'local_ip'`); break; }
        cfg.localIp = value;
        break;
      case 'tos':
        if (value === 'inherit') { cfg.tosInherit = true; break; }
        {
          const m = /^\s*[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(value);
          const tos = m ? Number(value.trim().replace(/^\+/, '').replace(/^0([0-7]+)$/, '0o$1')) : NaN;
          if (Number.isInteger(tos) && tos === (tos & IP_DSCP_MASK)) cfg.tos = tos;
          else lines.push(`${name}: invalid TOS ${value}`);
        }
        break;
      case 'ttl':
        if (value === 'inherit') cfg.ttlInherit = true;
        else cfg.ttl = atoi(value) & 0xff;
        break;
      case 'dst_port':
        if (type === 'gre') { lines.push(`${name}: unknown ${type} argument '${key}'`); break; }
        cfg.dstPort = atoi(value) & 0xffff;
        break;
      case 'seq': if (type !== 'gre') lines.push(`${name}: unknown ${type} argument '${key}'`); break;
      case 'csum': if (value === 'true') cfg.csum = true; break;
      case 'df_default': if (value === 'false') cfg.dontFragment = false; break;
      case 'key': case 'in_key': case 'out_key': case 'packet_type': break;
      case 'remote_cert': case 'remote_name': case 'psk': break;
      default: lines.push(`${name}: unknown ${type} argument '${key}'`);
    }
  }
  const pt = options.get('packet_type');
  if (pt !== undefined && pt !== 'legacy_l2' && pt !== 'ptap') {
    if (pt === 'legacy_l3') return fail(`${name}: legacy_l3 configured on ${type === 'vxlan' ? 'VXLAN (without GPE)' : type} tunnel that cannot carry L3 traffic`);
    return fail(`${name}: unknown packet_type '${pt}'`);
  }
  if (cfg.remoteIp === undefined && !cfg.remoteIpFlow) return fail(`${name}: ${type} type requires valid 'remote_ip' argument`);
  if (cfg.localIpFlow && !cfg.remoteIpFlow) return fail(`${name}: ${type} type requires 'remote_ip=flow' with 'local_ip=flow'`);
  if (cfg.dstPort === 0) cfg.dstPort = DEFAULT_DST_PORT[type];
  if (!cfg.ttl) cfg.ttl = DEFAULT_TTL;
  const ik = parseKey(options, 'in_key');
  cfg.inKey = ik.key; cfg.inKeyPresent = ik.present; cfg.inKeyFlow = ik.flow;
  const ok = parseKey(options, 'out_key');
  cfg.outKey = ok.key; cfg.outKeyPresent = ok.present; cfg.outKeyFlow = ok.flow;
  return { config: cfg, warnings: lines };
}

/** The datapath port all tunnels of one type and UDP port share (OVS's "vxlan_sys_4789"). */
export function tunnelDpPortName(cfg: Pick<TunnelConfig, 'type' | 'dstPort'>): string {
  if (cfg.type === 'gre') return 'gre_sys';
  return `${cfg.type}_sys_${cfg.dstPort}`;
}

/** A tunnel port as the receive lookup sees it. */
export interface TunnelPortRef { config: TunnelConfig; odpPort?: number }

/**
 * OVS's tnl_find: the port a packet received on datapath port `odpPort` with tunnel metadata `t`
 * belongs to. Fixed key before key=flow, fixed remote_ip before remote_ip=flow, a matching
 * local_ip before "any local address" before local_ip=flow.
 */
export function findTunnelPort<P extends TunnelPortRef>(ports: Iterable<P>, odpPort: number, t: OdpTunnelKey): P | undefined {
  const id = t.id ?? 0n;
  let best: P | undefined, bestRank = Infinity;
  for (const p of ports) {
    const c = p.config;
    if (p.odpPort !== odpPort) continue;
    if (!c.inKeyFlow && c.inKey !== id) continue;
    if (!c.remoteIpFlow && c.remoteIp !== t.ipv4Src) continue;
    const srcRank = c.localIpFlow ? 2 : c.localIp !== undefined ? 0 : 1;
    if (srcRank === 0 && c.localIp !== t.ipv4Dst) continue;
    const rank = (c.inKeyFlow ? 6 : 0) + (c.remoteIpFlow ? 3 : 0) + srcRank;
    if (rank < bestRank) { best = p; bestRank = rank; }
  }
  return best;
}

/** What tnl_port_send reads from the flow. */
export interface EgressInputs { tunId: bigint; tunSrc: bigint; tunDst: bigint; isIp: boolean; nwTos: number; nwTtl: number }

/** The tunnel key an output to a port with `cfg` sets (undefined: no destination, no output). */
export function egressTunnel(cfg: TunnelConfig, f: EgressInputs): OdpTunnelKey | undefined {
  const dst = cfg.remoteIpFlow ? (f.tunDst ? bigToIp(f.tunDst) : undefined) : cfg.remoteIp;
  if (dst === undefined) return undefined;
  const t: OdpTunnelKey = {};
  if (cfg.outKeyPresent) t.id = cfg.outKeyFlow ? f.tunId : cfg.outKey;
  const src = cfg.localIpFlow ? (f.tunSrc ? bigToIp(f.tunSrc) : undefined) : cfg.localIp;
  if (src !== undefined) t.ipv4Src = src;
  t.ipv4Dst = dst;
  let tos = cfg.tosInherit && f.isIp ? f.nwTos & IP_DSCP_MASK : cfg.tos;
  // ECN is always inherited; CE leaves as ECT(0) (RFC 6040's normal mode, as OVS).
  if (f.isIp) tos |= (f.nwTos & 3) === 3 ? 2 : f.nwTos & 3;
  if (tos) t.tos = tos;
  t.ttl = cfg.ttlInherit && f.isIp ? f.nwTtl : cfg.ttl;
  if (cfg.dontFragment) t.dontFragment = true;
  if (cfg.csum) t.csum = true;
  if (cfg.type !== 'gre') t.tpDst = cfg.dstPort;
  return t;
}
