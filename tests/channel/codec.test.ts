// The datapath channel's netlink codec: golden bytes for the layouts openvswitch.h fixes, round trips
// of every message type, and malformed input (bad lengths, truncation, unknown and duplicate
// attributes, random corruption) rejected with NetlinkFormatError and never anything else.
import t from 'tap';
import { decodeDatapath, decodeFamily, decodeFlow, decodePacket, decodeVport, encodeDatapath, encodeFlow, encodeGetFamily,
  encodeNewFamily, encodePacket, encodeVport } from '../../engine/channel/messages.js';
import { NetlinkFormatError, decodeMessage, parseAttrs, type GenlMessage } from '../../engine/channel/netlink.js';
import { actionsToAttrs, attrsToActions, attrsToKey, keyToAttrs } from '../../engine/channel/odp-codec.js';
import { bytesToIpv6, ipv6ToBytes } from '../../engine/channel/inet.js';
import type { OdpAction, OdpFlowKey } from '../../engine/channel/odp-types.js';

const genl = (buf: Buffer): GenlMessage => {
  const m = decodeMessage(buf, (t) => t !== 16);
  if (m.kind !== 'genl') throw new Error(`expected a genl message, got ${m.kind}`);
  return m;
};
const hex = (b: Buffer): string => b.toString('hex');

const tcpKey: OdpFlowKey = {
  priority: 0, skbMark: 0, recircId: 0, dpHash: 0, inPort: 3,
  eth: { src: '00:11:22:33:44:55', dst: 'ff:ee:dd:cc:bb:aa' }, ethType: 0x0800,
  ipv4: { src: '10.0.0.1', dst: '10.0.0.2', proto: 6, tos: 0, ttl: 64, frag: 0 },
  tcp: { src: 40000, dst: 80 }, tcpFlags: 0x02,
};
const vlanKey: OdpFlowKey = {
  inPort: 1, eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, vlanTci: 0x1000 | 900, ethType: 0x0806,
  arp: { sip: '192.168.9.1', tip: '192.168.9.2', op: 1, sha: '02:00:00:00:00:01', tha: '00:00:00:00:00:00' },
};
const v6Key: OdpFlowKey = {
  inPort: 7, eth: { src: '02:00:00:00:00:01', dst: '33:33:ff:00:00:02' }, ethType: 0x86dd,
  ipv6: { src: 'fe80::1', dst: 'ff02::1:ff00:2', label: 0x12345, proto: 58, tclass: 0, hlimit: 255, frag: 0 },
  icmpv6: { type: 135, code: 0 }, nd: { target: 'fe80::2', sll: '02:00:00:00:00:01', tll: '00:00:00:00:00:00' },
};
const allActions: OdpAction[] = [
  { type: 'push_vlan', tpid: 0x8100, tci: 0x1000 | 100 },
  { type: 'output', port: 2 },
  { type: 'pop_vlan' },
  { type: 'set', key: { eth: { src: '02:00:00:00:00:09', dst: '02:00:00:00:00:0a' } } },
  { type: 'set_masked', key: { ipv4: { src: '10.1.0.1', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 0, frag: 0 } },
    mask: { ipv4: { src: '255.255.255.255', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 0, frag: 0 } } },
  { type: 'userspace', pid: 4242, userdata: Buffer.from('cookie!!') },
  { type: 'sample', probability: 0xffffffff, actions: [{ type: 'output', port: 9 }] },
  { type: 'clone', actions: [{ type: 'output', port: 5 }, { type: 'drop', reason: 0 }] },
  { type: 'recirc', id: 7 }, { type: 'hash', alg: 0, basis: 99 }, { type: 'trunc', maxLen: 128 }, { type: 'meter', id: 3 },
  { type: 'set', key: { tunnel: { id: 5000n, ipv4Src: '172.16.0.1', ipv4Dst: '172.16.0.2', tos: 0, ttl: 64, dontFragment: true, tpDst: 4789 } } },
];

t.test('golden bytes: the layouts openvswitch.h fixes', async (t) => {
  const a = keyToAttrs({ inPort: 5 });
  t.equal(a.length, 1);
  t.equal(a[0]!.type, 3, 'OVS_KEY_ATTR_IN_PORT is 3');
  t.equal(hex(a[0]!.payload), '05000000', 'in_port is a host-order u32');
  const eth = keyToAttrs({ eth: { src: '00:11:22:33:44:55', dst: '66:77:88:99:aa:bb' } })[0]!;
  t.equal(eth.type, 4);
  t.equal(hex(eth.payload), '001122334455' + '66778899aabb', 'ovs_key_ethernet = src then dst');
  const ip = keyToAttrs({ ethType: 0x800, ipv4: { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, tos: 0x10, ttl: 63, frag: 0 } });
  t.equal(hex(ip[0]!.payload), '0800', 'ETHERTYPE is big-endian');
  t.equal(ip[1]!.type, 7);
  t.equal(hex(ip[1]!.payload), '0a000001' + '0a000002' + '11' + '10' + '3f' + '00');
  const v = keyToAttrs(vlanKey);
  t.same(v.map((x) => x.type), [3, 4, 6, 5, 1], 'in_port, ethernet, ethertype 0x8100, vlan, encap');
  t.equal(hex(v[2]!.payload), '8100');
  t.equal(hex(v[3]!.payload), '1384', 'TCI 0x1000|900 big-endian');
  const inner = parseAttrs(v[4]!.payload);
  t.same(inner.map((x) => x.type), [6, 13], 'encap holds the inner ethertype and ARP');
  t.equal(inner[1]!.payload.length, 24, 'ovs_key_arp is 24 bytes (with tail padding)');
  const push = actionsToAttrs([{ type: 'push_vlan', tpid: 0x8100, tci: 0x1000 | 100 }])[0]!;
  t.equal(push.type, 4);
  t.equal(hex(push.payload), '81001064');
  const msg = encodeVport({ cmd: 'GET', dpIfindex: 1, vport: { name: 'br0' } }, { type: 0x14, flags: 1, seq: 7, pid: 99 });
  t.equal(hex(msg.subarray(0, 24)), '20000000' + '1400' + '0100' + '07000000' + '63000000' + '03' + '01' + '0000' + '01000000',
    'nlmsghdr + genlmsghdr + ovs_header as the Windows extension expects (ovs_vport id 0x14, GET=3)');
  t.equal(hex(msg.subarray(24)), '0800' + '0300' + '62723000', 'NAME attribute NUL-terminated and padded');
  t.equal(msg.length, 32);
});

t.test('round trip: every message type', async (t) => {
  const dp = decodeDatapath(genl(encodeDatapath({ cmd: 'GET', dpIfindex: 3, name: 'ovs-system', upcallPid: 12,
    stats: { hit: 10n, missed: 2n, lost: 1n, flows: 4n, maskHit: 30n, masks: 3 }, userFeatures: 3 }, { type: 0x12 })));
  t.same(dp, { cmd: 'GET', dpIfindex: 3, name: 'ovs-system', upcallPid: 12, stats: { hit: 10n, missed: 2n, lost: 1n, flows: 4n, maskHit: 30n, masks: 3 }, userFeatures: 3 });
  for (const cmd of ['NEW', 'DEL', 'GET', 'SET'] as const) {
    const vp = { portNo: 4, type: 4, name: 'vxlan_sys_4789', options: { dstPort: 4789 }, upcallPids: [1, 2], ifindex: 33,
      stats: { rxPackets: 1n, txPackets: 2n, rxBytes: 3n, txBytes: 4n, rxErrors: 5n, txErrors: 6n, rxDropped: 7n, txDropped: 8n } };
    t.same(decodeVport(genl(encodeVport({ cmd, dpIfindex: 3, vport: vp }, { type: 0x14 }))), { cmd, dpIfindex: 3, vport: vp }, `vport ${cmd}`);
  }
  for (const key of [tcpKey, vlanKey, v6Key]) {
    const flow = { key, mask: { inPort: 0xffffffff, eth: { src: 'ff:ff:ff:ff:ff:ff', dst: 'ff:ff:ff:ff:ff:ff' }, ...(key.vlanTci !== undefined ? { vlanTci: 0xffff } : { vlanTci: 0x1000 }), ethType: 0xffff },
      actions: allActions, ufid: Buffer.alloc(16, 0xab), stats: { packets: 5n, bytes: 500n }, used: 123456, tcpFlags: 0x12 };
    const back = decodeFlow(genl(encodeFlow({ cmd: 'NEW', dpIfindex: 3, flow, clear: true, probe: true, ufidFlags: 0 }, { type: 0x15 })));
    t.same(back, { cmd: 'NEW', dpIfindex: 3, flow, clear: true, probe: true, ufidFlags: 0 }, `flow with ${key.ethType?.toString(16)} key`);
  }
  // An untagged key's "untagged only" mask (the CFI bit) carries no VLAN/ENCAP attribute on the
  // wire: the kernel refuses those (EINVAL) when the key has none; its exact EtherType says it.
  const untagged = encodeFlow({ cmd: 'NEW', dpIfindex: 3, flow: { key: tcpKey, mask: { ethType: 0xffff, vlanTci: 0x1000 } } }, { type: 0x15 });
  const maskAttr = parseAttrs(genl(untagged).attrs.find((a) => a.type === 7)!.payload); // OVS_FLOW_ATTR_MASK
  t.same(maskAttr.map((a) => a.type), [6], 'untagged key: the mask is the EtherType alone (no VLAN 5, no ENCAP 1)');
  t.same(decodeFlow(genl(untagged)).flow.mask, { ethType: 0xffff, vlanTci: 0x1000 }, 'and decodes back to untagged-only');
  const tagged = encodeFlow({ cmd: 'NEW', dpIfindex: 3, flow: { key: vlanKey, mask: { ethType: 0xffff, vlanTci: 0xffff } } }, { type: 0x15 });
  t.same(parseAttrs(genl(tagged).attrs.find((a) => a.type === 7)!.payload).map((a) => a.type), [6, 5, 1], 'tagged key: TPID, VLAN, ENCAP in the mask');
  for (const cmd of ['MISS', 'ACTION', 'EXECUTE'] as const) {
    const pkt = { cmd, dpIfindex: 3, packet: Buffer.from('0123456789abcdef', 'hex'), key: tcpKey, actions: [{ type: 'output', port: 1 }] as OdpAction[],
      userdata: Buffer.from([1, 2, 3, 4]), mru: 1500, len: 60, hash: 77n };
    t.same(decodePacket(genl(encodePacket(pkt, { type: 0x13 }))), pkt, `packet ${cmd}`);
  }
  const fam = { id: 27, name: 'ovs_vport', version: 1, mcgroups: [{ name: 'ovs_vport', id: 5 }] };
  t.same(decodeFamily(genl(encodeNewFamily(fam, { seq: 1 }))), fam, 'CTRL NEWFAMILY');
  t.equal(genl(encodeGetFamily('ovs_flow', { seq: 2 })).cmd, 3, 'CTRL GETFAMILY');
  t.same(attrsToActions(actionsToAttrs(allActions)), allActions, 'all actions');
  t.same(attrsToKey(keyToAttrs(vlanKey)), vlanKey, 'vlan key');
});

t.test('IPv6 text forms', async (t) => {
  const b = Buffer.alloc(16);
  for (const [input, canonical] of [['fe80::1', 'fe80::1'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['::', '::'], ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'], ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1']] as const) {
    ipv6ToBytes(input, b, 0);
    t.equal(bytesToIpv6(b, 0), canonical, input);
  }
  t.throws(() => ipv6ToBytes('fe80::g', b, 0), NetlinkFormatError);
});

t.test('malformed netlink is rejected with NetlinkFormatError', async (t) => {
  const good = encodeFlow({ cmd: 'NEW', dpIfindex: 1, flow: { key: vlanKey, actions: allActions } }, { type: 0x15 });
  const bad = (name: string, buf: Buffer, pattern: RegExp) => t.throws(() => decodeFlow(genl(buf)), pattern, name);
  const lenTooBig = Buffer.from(good); lenTooBig.writeUInt32LE(good.length + 8, 0);
  bad('nlmsg_len larger than the message', lenTooBig, /says \d+ bytes but the message has/);
  bad('shorter than fixed headers', good.subarray(0, 20), /header says|shorter|fixed headers/);
  const attrShort = Buffer.from(good); attrShort.writeUInt16LE(2, 24);
  bad('attribute length below 4', attrShort, /less than its 4-byte header/);
  const attrLong = Buffer.from(good); attrLong.writeUInt16LE(0xfff0, 24);
  bad('attribute longer than the message', attrLong, /only \d+ bytes remain/);
  // Truncate the nested KEY attribute: shrink the inner ENCAP length so it overruns KEY.
  const key = keyToAttrs(vlanKey);
  const enc = key[key.length - 1]!;
  const trunc = Buffer.from(enc.payload); trunc.writeUInt16LE(trunc.readUInt16LE(0) + 40, 0);
  t.throws(() => attrsToKey([...key.slice(0, -1), { type: 1, payload: trunc }]), NetlinkFormatError, 'truncated nested attribute');
  t.throws(() => attrsToKey([{ type: 99, payload: Buffer.alloc(4) }]), /unknown attribute 99/, 'unknown key attribute');
  t.throws(() => attrsToKey([{ type: 3, payload: Buffer.alloc(4) }, { type: 3, payload: Buffer.alloc(4) }]), /appears twice/, 'duplicate attribute');
  t.throws(() => attrsToKey([{ type: 3, payload: Buffer.alloc(2) }]), /IN_PORT is 2 bytes, expected 4/, 'wrong scalar size');
  t.throws(() => attrsToKey([{ type: 7, payload: Buffer.alloc(11) }]), /ovs_key_ipv4 payload is 11 bytes, expected 12|IPV4 is 11 bytes, expected 12/, 'wrong struct size');
  t.throws(() => attrsToKey([{ type: 1, payload: Buffer.alloc(0) }]), /ENCAP without a VLAN/, 'encap without vlan');
  t.throws(() => attrsToActions([{ type: 77, payload: Buffer.alloc(0) }]), /unknown action attribute 77/);
  t.throws(() => decodeVport(genl(Buffer.concat([encodeVport({ cmd: 'GET', dpIfindex: 1, vport: {} }, { type: 0x14 }).subarray(0, 24)]).fill(0x09, 16, 17))),
    /unknown command 9/, 'unknown command');
  const noNul = encodeVport({ cmd: 'GET', dpIfindex: 1, vport: { name: 'abc' } }, { type: 0x14 });
  noNul[24 + 4 + 3] = 0x41;
  t.throws(() => decodeVport(genl(noNul)), /not NUL-terminated/);
});

t.test('random corruption never escapes as anything but NetlinkFormatError', async (t) => {
  const samples = [
    encodeFlow({ cmd: 'NEW', dpIfindex: 1, flow: { key: vlanKey, mask: vlanKey, actions: allActions, ufid: Buffer.alloc(16) } }, { type: 0x15 }),
    encodePacket({ cmd: 'MISS', dpIfindex: 1, packet: Buffer.alloc(60, 1), key: v6Key, userdata: Buffer.alloc(8) }, { type: 0x13 }),
    encodeVport({ cmd: 'NEW', dpIfindex: 1, vport: { name: 'p1', type: 1, portNo: 3, options: { dstPort: 1 }, upcallPids: [1] } }, { type: 0x14 }),
  ];
  const decoders = [decodeFlow, decodePacket, decodeVport];
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  let rejected = 0, accepted = 0, other = 0;
  for (let s = 0; s < samples.length; s++) {
    const base = samples[s]!;
    for (let cut = 0; cut < base.length; cut++) {
      try { decoders[s]!(genl(base.subarray(0, cut))); accepted++; } catch (e) { if (e instanceof NetlinkFormatError) rejected++; else other++; }
    }
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(base);
      const flips = 1 + Math.floor(rnd() * 4);
      for (let f = 0; f < flips; f++) b[16 + Math.floor(rnd() * (b.length - 16))] = Math.floor(rnd() * 256);
      try { decoders[s]!(genl(b)); accepted++; } catch (e) { if (e instanceof NetlinkFormatError) rejected++; else { other++; if (other < 3) t.comment(String((e as Error).stack)); } }
    }
  }
  t.equal(other, 0, `only NetlinkFormatError escapes (${rejected} rejected, ${accepted} accepted)`);
  t.ok(rejected > 1000, 'corruption is detected');
});

t.test('IPV6_EXTHDRS (Linux 5.18+ IPv6 upcall keys) decodes and goes back out unchanged', async (t) => {
  const key = { inPort: 2, eth: { src: '02:00:00:00:00:01', dst: '33:33:00:00:00:16' }, ethType: 0x86dd, ipv6Exthdrs: Buffer.from([0x01, 0x00]) };
  const attrs = keyToAttrs(key as never);
  t.ok(attrs.some((a) => a.type === 32), 'OVS_KEY_ATTR_IPV6_EXTHDRS (32) on the wire');
  t.same(attrsToKey(attrs).ipv6Exthdrs, Buffer.from([0x01, 0x00]), 'decoded as the bytes received');
});

t.test('CT_ORIG_TUPLE_IPV4/IPV6 have the sizes Linux sends (sizeof the padded structs: 16 and 40 bytes)', async (t) => {
  // struct ovs_key_ct_tuple_ipv4 is 4+4+2+2+1 = 13 bytes padded to 16; the IPv6 one 37 padded to 40.
  // Linux puts these in upcall keys of packets with a conntrack entry (e.g. a host's ICMP echo reply).
  const v4 = Buffer.from('0a0700010a07000200000000010000', 'hex');
  const tuple4 = Buffer.concat([v4, Buffer.alloc(16 - v4.length)]);
  const tuple6 = Buffer.alloc(40, 0x11);
  const key = { ...tcpKey, ctState: 0x22, ctOrigTupleIpv4: tuple4 } as OdpFlowKey;
  const attrs = keyToAttrs(key);
  const a26 = attrs.find((a) => a.type === 26);
  t.equal(a26?.payload.length, 16, 'CT_ORIG_TUPLE_IPV4 (26) goes on the wire with 16 bytes');
  t.same(attrsToKey(attrs).ctOrigTupleIpv4, tuple4, 'a 16-byte IPv4 tuple decodes to the bytes received');
  const attrs6 = keyToAttrs({ ...v6Key, ctOrigTupleIpv6: tuple6 } as OdpFlowKey);
  t.same(attrsToKey(attrs6).ctOrigTupleIpv6, tuple6, 'a 40-byte IPv6 tuple decodes to the bytes received');
  const short = attrs.map((a) => (a.type === 26 ? { ...a, payload: a.payload.subarray(0, 12) } : a));
  t.throws(() => attrsToKey(short), NetlinkFormatError, 'a 12-byte IPv4 tuple is refused (not what Linux sends)');
});
