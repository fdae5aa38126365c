// Conversions between the datapath's flow key (OdpFlowKey) and the pipeline's field vector, and
// from an accumulated wildcard vector to the datapath megaflow mask.
import type { OdpFlowKey, OdpTunnelKey } from '../channel/odp-types.js';
import { F, FlowVec, zeroVec, macToBig, bigToMac, ipToBig, bigToIp, ETH_TYPE } from './fields.js';

/** OVS's FLOW_DL_TYPE_NONE: the ethertype of an 802.2 frame without one. */
export const DL_TYPE_NONE = 0x05ff;

/** The packet fields of `key`; in_port is left 0 (the caller maps datapath to OpenFlow ports). */
export function flowFromOdpKey(key: OdpFlowKey): FlowVec {
  const v = zeroVec();
  if (key.tunnel) {
    v[F.tun_id] = key.tunnel.id ?? 0n;
    v[F.tun_src] = key.tunnel.ipv4Src ? ipToBig(key.tunnel.ipv4Src) ?? 0n : 0n;
    v[F.tun_dst] = key.tunnel.ipv4Dst ? ipToBig(key.tunnel.ipv4Dst) ?? 0n : 0n;
  }
  if (key.eth) { v[F.dl_src] = macToBig(key.eth.src); v[F.dl_dst] = macToBig(key.eth.dst); }
  if (key.vlanTci !== undefined) v[F.vlan_tci] = BigInt(key.vlanTci & 0xffff);
  v[F.dl_type] = BigInt(key.ethType ?? DL_TYPE_NONE);
  if (key.ipv4) {
    v[F.nw_src] = ipToBig(key.ipv4.src) ?? 0n;
    v[F.nw_dst] = ipToBig(key.ipv4.dst) ?? 0n;
    v[F.nw_proto] = BigInt(key.ipv4.proto & 0xff);
    v[F.nw_tos] = BigInt(key.ipv4.tos & 0xff);
    v[F.nw_ttl] = BigInt(key.ipv4.ttl & 0xff);
  } else if (key.ipv6) {
    v[F.nw_proto] = BigInt(key.ipv6.proto & 0xff);
    v[F.nw_tos] = BigInt(key.ipv6.tclass & 0xff);
    v[F.nw_ttl] = BigInt(key.ipv6.hlimit & 0xff);
  } else if (key.arp) {
    v[F.nw_src] = ipToBig(key.arp.sip) ?? 0n;
    v[F.nw_dst] = ipToBig(key.arp.tip) ?? 0n;
    v[F.nw_proto] = BigInt(key.arp.op & 0xff);
    v[F.arp_sha] = macToBig(key.arp.sha);
    v[F.arp_tha] = macToBig(key.arp.tha);
  }
  const l4 = key.tcp ?? key.udp ?? key.sctp;
  if (l4) { v[F.tp_src] = BigInt(l4.src & 0xffff); v[F.tp_dst] = BigInt(l4.dst & 0xffff); }
  const icmp = key.icmp ?? key.icmpv6;
  if (icmp) { v[F.tp_src] = BigInt(icmp.type & 0xff); v[F.tp_dst] = BigInt(icmp.code & 0xff); }
  return v;
}

/**
 * The megaflow mask for a packet `key` given the fields translation consulted (`wc`). As OVS
 * does, in_port and the ethertype are always exact and IP fragment bits always matched. A mask
 * sub-struct is present only where the key has that header. `vlanTci` is always in the mask
 * (at least the 0x1000 tag-present bit) and applies to the key's TCI read as 0 when the key has
 * no VLAN, so untagged and tagged packets never share a megaflow.
 */
export function odpMaskFromWildcards(key: OdpFlowKey, wc: FlowVec): OdpFlowKey {
  const m: OdpFlowKey = { inPort: 0xffffffff };
  if (key.recircId !== undefined) m.recircId = 0xffffffff;
  const received = isTunnelKey(key);
  if (received || wc[F.tun_id] !== 0n || wc[F.tun_src] !== 0n || wc[F.tun_dst] !== 0n) {
    const t: OdpTunnelKey = {};
    if (wc[F.tun_id] !== 0n) t.id = wc[F.tun_id]!;
    if (wc[F.tun_src] !== 0n) t.ipv4Src = bigToIp(wc[F.tun_src]!);
    if (wc[F.tun_dst] !== 0n) t.ipv4Dst = bigToIp(wc[F.tun_dst]!);
    // OVS's tnl_wc_init: a received packet's outer TOS and its df/csum/key flags always matter.
    if (received) { t.tos = 0xff; t.dontFragment = true; t.csum = true; }
    m.tunnel = t;
  }
  if (key.eth) m.eth = { src: bigToMac(wc[F.dl_src]!), dst: bigToMac(wc[F.dl_dst]!) };
  m.vlanTci = Number(wc[F.vlan_tci]);
  m.ethType = 0xffff;
  if (key.ipv4) {
    m.ipv4 = { src: bigToIp(wc[F.nw_src]!), dst: bigToIp(wc[F.nw_dst]!), proto: Number(wc[F.nw_proto]), tos: Number(wc[F.nw_tos]), ttl: Number(wc[F.nw_ttl]), frag: 0xff };
  } else if (key.ipv6) {
    m.ipv6 = { src: '::', dst: '::', label: 0, proto: Number(wc[F.nw_proto]), tclass: Number(wc[F.nw_tos]), hlimit: Number(wc[F.nw_ttl]), frag: 0xff };
  } else if (key.arp) {
    m.arp = { sip: bigToIp(wc[F.nw_src]!), tip: bigToIp(wc[F.nw_dst]!), op: wc[F.nw_proto] ? 0xffff : 0, sha: bigToMac(wc[F.arp_sha]!), tha: bigToMac(wc[F.arp_tha]!) };
  }
  const tp = wc[F.tp_src] !== 0n || wc[F.tp_dst] !== 0n;
  if (tp) {
    const ports = { src: Number(wc[F.tp_src]), dst: Number(wc[F.tp_dst]) };
    if (key.tcp) m.tcp = ports;
    else if (key.udp) m.udp = ports;
    else if (key.sctp) m.sctp = ports;
    else if (key.icmp) m.icmp = { type: ports.src & 0xff, code: ports.dst & 0xff };
    else if (key.icmpv6) m.icmpv6 = { type: ports.src & 0xff, code: ports.dst & 0xff };
  }
  return m;
}

/** Whether `key` came in through a tunnel (OVS's tnl_port_should_receive: a tunnel destination). */
export function isTunnelKey(key: OdpFlowKey): boolean {
  return key.tunnel !== undefined && key.tunnel.ipv4Dst !== undefined && key.tunnel.ipv4Dst !== '0.0.0.0';
}

/** Whether `key` is an IPv4 packet (for set actions). */
export function isIpv4Key(key: OdpFlowKey): boolean { return key.ethType === ETH_TYPE.IP && key.ipv4 !== undefined; }
