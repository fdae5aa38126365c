// Where an IPv4 packet to a tunnel remote leaves this host, asked of the kernel over rtnetlink
// (NETLINK_ROUTE), in the calling thread's network namespace: the route (output device, gateway,
// preferred source), the next hop's link-layer address from the neighbour table, and the device's
// type, MAC and MTU. A tunnel sender uses the answer to put outer packets straight on the device
// with their Ethernet header (as OVS's native tunnelling does), skipping the kernel's per-packet
// route lookup and IP output; when there is no complete answer it keeps sending through the IP
// stack, which also makes the kernel resolve the neighbour. One request and its reply are a
// write() and a read() on a non-blocking socket: the kernel answers these requests before write()
// returns, so nothing waits.
import { readSync, writeSync } from 'node:fs';
import { encodeNlmsg, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, parseAttrs, parseHeader, splitMessages, type NlAttr, type NlWriter } from '../../engine/channel/netlink.js';
import * as n from './native.js';

const AF_NETLINK = 16;
const NETLINK_ROUTE = 0;
const RTM_NEWLINK = 16, RTM_GETLINK = 18, RTM_NEWROUTE = 24, RTM_GETROUTE = 26, RTM_NEWNEIGH = 28, RTM_GETNEIGH = 30;
const NLM_F_REQUEST = 1;
const RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PREFSRC = 7;
const NDA_DST = 1, NDA_LLADDR = 2;
const IFLA_ADDRESS = 1, IFLA_MTU = 4;
const RTN_UNICAST = 1;
const ARPHRD_ETHER = 1;
const IFF_UP = 1, IFF_RUNNING = 0x40;
/** Neighbour states with a usable link-layer address. */
const NUD_VALID = 0x02 | 0x04 | 0x08 | 0x10 | 0x80; // REACHABLE, STALE, DELAY, PROBE, PERMANENT

const NLM_F_DUMP = 0x300;
const IFLA_IFNAME = 3, IFLA_OPERSTATE = 16;
/** IF_OPER_* as /sys/class/net/<dev>/operstate spells them. */
const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];

/** One device of a link dump. `flags` are IFF_* (as /sys/class/net/<dev>/flags). */
export interface LinkInfo { name: string; ifindex: number; flags: number; mac?: string; mtu?: number; operstate: string }

/** How to put a packet for one IPv4 destination on the wire ourselves. */
export interface L2NextHop {
  ifindex: number;
  /** The route's preferred source address (host-order word). */
  src: number;
  /** Destination MAC (the next hop's), source MAC (the device's), EtherType IPv4: 14 bytes. */
  ethHeader: Buffer;
  mtu: number;
}

/** One rtnetlink socket (per thread). */
export class RtNetlink {
  private readonly fd: number;
  private seq = 1;
  private readonly rx = Buffer.allocUnsafe(65536);

  constructor() {
    this.fd = n.socket(AF_NETLINK, n.SOCK_RAW | n.SOCK_NONBLOCK | n.SOCK_CLOEXEC, NETLINK_ROUTE);
  }

  close(): void { n.closeFd(this.fd); }

  /** Sends one request (nlmsghdr, then what `body` writes) and returns the reply's body and type,
   *  or undefined when the kernel answers with an error (e.g. no route, no neighbour entry) or
   *  not at all. */
  private request(type: number, body: (w: NlWriter) => void): { type: number; body: Buffer } | undefined {
    const seq = this.seq++;
    writeSync(this.fd, encodeNlmsg({ type, flags: NLM_F_REQUEST, seq }, body));
    for (;;) {
      let len: number;
      try { len = readSync(this.fd, this.rx, 0, this.rx.length, null); } catch { return undefined; }
      if (len < NLMSG_HDRLEN) return undefined;
      const h = parseHeader(this.rx);
      if (h.seq !== seq) continue; // a late answer to an earlier request
      if (h.type === NLMSG_ERROR || h.len > len) return undefined;
      return { type: h.type, body: Buffer.from(this.rx.subarray(NLMSG_HDRLEN, h.len)) };
    }
  }

  /** The attributes after a fixed header of `skip` bytes, by type (the first of each); undefined
   *  when they are malformed. */
  private static attrs(b: Buffer, skip: number): Map<number, Buffer> | undefined {
    const m = new Map<number, Buffer>();
    let list: NlAttr[];
    try { list = parseAttrs(b, skip); } catch { return undefined; }
    for (const a of list) if (!m.has(a.type)) m.set(a.type, a.payload);
    return m;
  }

  /** The unicast route to `dst` (host-order word): output device, next hop, preferred source. */
  route(dst: number): { ifindex: number; nextHop: number; src: number } | undefined {
    const rtm = Buffer.alloc(12); // struct rtmsg
    rtm[0] = n.AF_INET;
    rtm[1] = 32; // rtm_dst_len
    const ip = Buffer.alloc(4);
    ip.writeUInt32BE(dst >>> 0, 0);
    const r = this.request(RTM_GETROUTE, (w) => { w.raw(rtm); w.attr(RTA_DST, ip); });
    if (!r || r.type !== RTM_NEWROUTE || r.body.length < 12 || r.body[7] !== RTN_UNICAST) return undefined;
    const a = RtNetlink.attrs(r.body, 12);
    if (!a) return undefined;
    const oif = a.get(RTA_OIF), gw = a.get(RTA_GATEWAY), src = a.get(RTA_PREFSRC);
    if (!oif || oif.length < 4 || !src || src.length !== 4) return undefined;
    return { ifindex: oif.readInt32LE(0), nextHop: gw && gw.length === 4 ? gw.readUInt32BE(0) : dst >>> 0, src: src.readUInt32BE(0) };
  }

  /** The link-layer address of IPv4 neighbour `ip` on device `ifindex`, if the entry is usable. */
  neighbour(ip: number, ifindex: number): Buffer | undefined {
    const ndm = Buffer.alloc(12); // struct ndmsg
    ndm[0] = n.AF_INET;
    ndm.writeInt32LE(ifindex, 4);
    const addr = Buffer.alloc(4);
    addr.writeUInt32BE(ip >>> 0, 0);
    const r = this.request(RTM_GETNEIGH, (w) => { w.raw(ndm); w.attr(NDA_DST, addr); });
    if (!r || r.type !== RTM_NEWNEIGH || r.body.length < 12) return undefined;
    if ((r.body.readUInt16LE(8) & NUD_VALID) === 0) return undefined;
    const mac = RtNetlink.attrs(r.body, 12)?.get(NDA_LLADDR);
    return mac && mac.length === 6 ? Buffer.from(mac) : undefined;
  }

  /** Every network device of this namespace in one RTM_GETLINK dump (the kernel fills the reply
   *  parts as they are read, so this never waits): name, index, flags, MAC, MTU, operstate. */
  dumpLinks(): LinkInfo[] {
    const seq = this.seq++;
    // nlmsghdr + struct ifinfomsg (any family)
    writeSync(this.fd, encodeNlmsg({ type: RTM_GETLINK, flags: NLM_F_REQUEST | NLM_F_DUMP, seq }, (w) => w.zeros(16)));
    const out: LinkInfo[] = [];
    for (;;) {
      let msgs: Buffer[];
      try {
        const len = readSync(this.fd, this.rx, 0, this.rx.length, null);
        msgs = splitMessages(this.rx.subarray(0, len));
      } catch (e) {
        throw new Error(`rtnetlink link dump: ${(e as Error).message}`);
      }
      for (const m of msgs) {
        const h = parseHeader(m);
        if (h.seq === seq) {
          if (h.type === NLMSG_DONE) return out;
          if (h.type === NLMSG_ERROR) throw new Error(`rtnetlink link dump: error ${m.length >= NLMSG_HDRLEN + 4 ? -m.readInt32LE(NLMSG_HDRLEN) : 'unknown'}`);
          if (h.type === RTM_NEWLINK && m.length >= NLMSG_HDRLEN + 16) {
            const body = m.subarray(NLMSG_HDRLEN);
            const a = RtNetlink.attrs(body, 16);
            if (!a) throw new Error(`rtnetlink link dump: malformed attributes of link ${body.readInt32LE(4)}`);
            const name = a.get(IFLA_IFNAME), mac = a.get(IFLA_ADDRESS), mtu = a.get(IFLA_MTU), oper = a.get(IFLA_OPERSTATE);
            if (name) {
              out.push({
                name: name.toString('latin1').replace(/\0.*$/s, ''),
                ifindex: body.readInt32LE(4),
                flags: body.readUInt32LE(8),
                ...(mac && mac.length > 0 ? { mac: [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':') } : {}),
                ...(mtu && mtu.length >= 4 ? { mtu: mtu.readUInt32LE(0) } : {}),
                operstate: OPERSTATES[oper && oper.length >= 1 ? oper[0]! : 0] ?? 'unknown',
              });
            }
          }
        }
      }
    }
  }

  /** An Ethernet device's MAC and MTU, if it is up. */
  link(ifindex: number): { mac: Buffer; mtu: number } | undefined {
    const ifi = Buffer.alloc(16); // struct ifinfomsg
    ifi.writeInt32LE(ifindex, 4);
    const r = this.request(RTM_GETLINK, (w) => w.raw(ifi));
    if (!r || r.type !== RTM_NEWLINK || r.body.length < 16) return undefined;
    if (r.body.readUInt16LE(2) !== ARPHRD_ETHER || (r.body.readUInt32LE(8) & (IFF_UP | IFF_RUNNING)) !== (IFF_UP | IFF_RUNNING)) return undefined;
    const a = RtNetlink.attrs(r.body, 16);
    if (!a) return undefined;
    const mac = a.get(IFLA_ADDRESS), mtu = a.get(IFLA_MTU);
    if (!mac || mac.length !== 6 || !mtu || mtu.length < 4) return undefined;
    return { mac: Buffer.from(mac), mtu: mtu.readUInt32LE(0) };
  }

  /** Everything needed to send to `dst` on the wire ourselves, or undefined (no route, not an
   *  Ethernet device, device down, next hop not resolved yet). */
  nextHop(dst: number): L2NextHop | undefined {
    const r = this.route(dst);
    if (!r) return undefined;
    const l = this.link(r.ifindex);
    if (!l) return undefined;
    const mac = this.neighbour(r.nextHop, r.ifindex);
    if (!mac) return undefined;
    const ethHeader = Buffer.alloc(14);
    mac.copy(ethHeader, 0);
    l.mac.copy(ethHeader, 6);
    ethHeader.writeUInt16BE(0x0800, 12);
    return { ifindex: r.ifindex, src: r.src, ethHeader, mtu: l.mtu };
  }
}
