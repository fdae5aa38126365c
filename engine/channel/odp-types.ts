// The datapath's flow model (OVS "ODP": the ovs_flow/ovs_packet families of openvswitch.h), as
// TypeScript values. The netlink codec (engine/channel/) turns these into and out of bytes; the
// pipeline produces them; the datapath (driver/) matches and executes them.
//
// Conventions: MAC addresses "aa:bb:cc:dd:ee:ff"; IPv4 "10.0.0.1"; IPv6 in any RFC 5952 text form;
// ethertypes, ports, TCIs as plain numbers in host order (the codec does byte order).
// A field or sub-struct that is absent from a key is "not present in the packet"/"not matched";
// in a mask, absent means fully wildcarded, and a present value is the bitmask.

export interface OdpEthernet { src: string; dst: string }
export interface OdpIpv4 { src: string; dst: string; proto: number; tos: number; ttl: number; frag: number }
export interface OdpIpv6 { src: string; dst: string; label: number; proto: number; tclass: number; hlimit: number; frag: number }
export interface OdpPorts { src: number; dst: number }
export interface OdpIcmp { type: number; code: number }
export interface OdpArp { sip: string; tip: string; op: number; sha: string; tha: string }
export interface OdpNd { target: string; sll: string; tll: string }

export interface OdpTunnelKey {
  id?: bigint;              // OVS_TUNNEL_KEY_ATTR_ID (be64 on the wire)
  ipv4Src?: string;
  ipv4Dst?: string;
  tos?: number;
  ttl?: number;
  dontFragment?: boolean;
  csum?: boolean;
  oam?: boolean;
  tpSrc?: number;
  tpDst?: number;
  geneveOptions?: Buffer;   // raw TLVs
  vxlanGbp?: number;
}

export interface OdpFlowKey {
  priority?: number;
  skbMark?: number;
  inPort?: number;          // datapath port number
  recircId?: number;
  dpHash?: number;
  tunnel?: OdpTunnelKey;
  eth?: OdpEthernet;
  /** 802.1Q TCI of the outer tag with the CFI/present bit (0x1000) set, as OVS_KEY_ATTR_VLAN carries
   *  it; when present, `ethType` is the inner (encapsulated) ethertype and the codec nests the rest
   *  in OVS_KEY_ATTR_ENCAP. */
  vlanTci?: number;
  ethType?: number;
  ipv4?: OdpIpv4;
  ipv6?: OdpIpv6;
  tcp?: OdpPorts;
  udp?: OdpPorts;
  sctp?: OdpPorts;
  tcpFlags?: number;
  icmp?: OdpIcmp;
  icmpv6?: OdpIcmp;
  arp?: OdpArp;
  nd?: OdpNd;
  /** OVS_KEY_ATTR_IPV6_EXTHDRS (struct ovs_key_ipv6_exthdrs: a 16-bit flag word of the extension
   *  headers seen). Linux 5.18+ puts it in IPv6 upcall keys; kept as received and sent back in the
   *  flow's key, never matched on (no mask), as ovs-vswitchd 3.1 leaves it wildcarded. */
  ipv6Exthdrs?: Buffer;
  ctState?: number;
  ctZone?: number;
  ctMark?: number;
  /** OVS_KEY_ATTR_CT_LABELS: 16 bytes (the Linux kernel puts it in every key and mask). */
  ctLabels?: Buffer;
  /** OVS_KEY_ATTR_CT_ORIG_TUPLE_IPV4/IPV6: the conntrack original tuple, kept as raw bytes. */
  ctOrigTupleIpv4?: Buffer;
  ctOrigTupleIpv6?: Buffer;
}

export type OdpAction =
  | { type: 'output'; port: number }
  | { type: 'userspace'; pid: number; userdata?: Buffer }
  | { type: 'push_vlan'; tpid: number; tci: number }  // tci includes the 0x1000 present bit
  | { type: 'pop_vlan' }
  | { type: 'set'; key: OdpFlowKey }                    // OVS_ACTION_ATTR_SET (one key attribute; tunnel = set tunnel)
  | { type: 'set_masked'; key: OdpFlowKey; mask: OdpFlowKey }
  | { type: 'sample'; probability: number; actions: OdpAction[] }  // probability out of 2^32-1
  | { type: 'recirc'; id: number }
  | { type: 'hash'; alg: number; basis: number }
  | { type: 'trunc'; maxLen: number }
  | { type: 'clone'; actions: OdpAction[] }
  | { type: 'meter'; id: number }
  | { type: 'drop'; reason: number };

export interface OdpFlowStats { packets: bigint; bytes: bigint }

export interface OdpFlow {
  key: OdpFlowKey;
  mask?: OdpFlowKey;
  actions: OdpAction[];
  ufid?: Buffer;            // 16 bytes
  stats?: OdpFlowStats;
  used?: number;            // ms timestamp of last use, 0 = never
  tcpFlags?: number;
}

/** OVS_VPORT_TYPE_*: stt is 106 (OVS's out-of-tree and Windows datapaths; removed upstream in 3.6). */
export const VPORT_TYPES = { netdev: 1, internal: 2, gre: 3, vxlan: 4, geneve: 5, stt: 106 } as const;
export type VportTypeName = keyof typeof VPORT_TYPES;

export interface OdpVport {
  portNo: number;
  type: number;             // OVS_VPORT_TYPE_*
  name: string;
  upcallPids?: number[];
  options?: { dstPort?: number };
  stats?: { rxPackets: bigint; txPackets: bigint; rxBytes: bigint; txBytes: bigint; rxErrors: bigint; txErrors: bigint; rxDropped: bigint; txDropped: bigint };
  ifindex?: number;
}

export interface OdpDatapathStats { hit: bigint; missed: bigint; lost: bigint; flows: bigint; maskHit?: bigint; masks?: number }
