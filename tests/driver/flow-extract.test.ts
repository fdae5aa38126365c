import t from 'tap';
import {
  extractFlowKey, extractKeyWords, keyFromWords, keyToWords, maskToWords, exactMaskWords, flowKeyMatches, wordsMatch,
  ipv6ToWords, wordsToIpv6, KEY_WORDS, W,
} from '../../engine/channel/flow-extract.js';
import { eth, ipv4, ipv6, tcp, udp, sctp, icmp, icmp6, nd, arp } from './frames.js';

const A = '02:00:00:00:00:0a', B = '02:00:00:00:00:0b';

t.test('IPv4 TCP: eth, ipv4, tcp ports and flags', async (t) => {
  const f = eth(B, A, 0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, tos: 0x2e, ttl: 17 }, tcp('10.0.0.1', '10.0.0.2', 1234, 80, 0x12)));
  const k = extractFlowKey(f, 3);
  t.same(k.eth, { src: A, dst: B });
  t.equal(k.inPort, 3);
  t.equal(k.ethType, 0x0800);
  t.equal(k.vlanTci, undefined);
  t.same(k.ipv4, { src: '10.0.0.1', dst: '10.0.0.2', proto: 6, tos: 0x2e, ttl: 17, frag: 0 });
  t.same(k.tcp, { src: 1234, dst: 80 });
  t.equal(k.tcpFlags, 0x12);
  t.equal(k.udp, undefined);
});

t.test('IPv4 UDP, SCTP, ICMP', async (t) => {
  const u = extractFlowKey(eth(B, A, 0x0800, ipv4({ src: '1.2.3.4', dst: '5.6.7.8', proto: 17 }, udp('1.2.3.4', '5.6.7.8', 53, 5353))));
  t.same(u.udp, { src: 53, dst: 5353 });
  t.equal(u.tcpFlags, undefined);
  const s = extractFlowKey(eth(B, A, 0x0800, ipv4({ src: '1.2.3.4', dst: '5.6.7.8', proto: 132 }, sctp(36412, 38412))));
  t.same(s.sctp, { src: 36412, dst: 38412 });
  const i = extractFlowKey(eth(B, A, 0x0800, ipv4({ src: '1.2.3.4', dst: '5.6.7.8', proto: 1 }, icmp(8, 0))));
  t.same(i.icmp, { type: 8, code: 0 });
  t.equal(i.tcp, undefined);
});

t.test('IPv4 with options and fragments', async (t) => {
  const withOpts = extractFlowKey(eth(B, A, 0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, options: Buffer.from([1, 1, 1, 0]) }, udp('1.1.1.1', '2.2.2.2', 7, 9))));
  t.same(withOpts.udp, { src: 7, dst: 9 }, 'L4 found after the options');
  const first = extractFlowKey(eth(B, A, 0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, mf: true }, udp('1.1.1.1', '2.2.2.2', 7, 9))));
  t.equal(first.ipv4?.frag, 1, 'first fragment');
  t.same(first.udp, { src: 7, dst: 9 }, 'first fragment keeps ports');
  const later = extractFlowKey(eth(B, A, 0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, fragOff: 100 }, Buffer.alloc(16, 0xee))));
  t.equal(later.ipv4?.frag, 2, 'later fragment');
  t.equal(later.udp, undefined, 'later fragment has no ports');
  const df = extractFlowKey(eth(B, A, 0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, df: true }, tcp('1.1.1.1', '2.2.2.2', 1, 2, 2))));
  t.equal(df.ipv4?.frag, 0, 'DF alone is not a fragment');
});

t.test('truncated IPv4 header gives zeroed ipv4 fields, no L4', async (t) => {
  const good = eth(B, A, 0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6 }, tcp('1.1.1.1', '2.2.2.2', 1, 2, 2)));
  const k = extractFlowKey(good.subarray(0, 14 + 12));
  t.same(k.ipv4, { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 0, frag: 0 });
  t.equal(k.tcp, undefined);
  const k2 = extractFlowKey(good.subarray(0, 14 + 20 + 10));
  t.equal(k2.tcp, undefined, 'TCP header cut short: no tcp key');
});

t.test('802.1Q tag: vlanTci with present bit, inner ethType', async (t) => {
  const f = eth(B, A, 0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udp('10.0.0.1', '10.0.0.2', 1, 2)), (5 << 13) | 100);
  const k = extractFlowKey(f);
  t.equal(k.vlanTci, 0x1000 | (5 << 13) | 100);
  t.equal(k.ethType, 0x0800);
  t.same(k.udp, { src: 1, dst: 2 });
  const prio = extractFlowKey(eth(B, A, 0x0806, arp(1, A, '1.1.1.1', '00:00:00:00:00:00', '1.1.1.2'), 0));
  t.equal(prio.vlanTci, 0x1000, 'priority-tagged frame (VID 0) still has the present bit');
  t.equal(prio.arp?.op, 1);
});

t.test('ARP request and reply', async (t) => {
  const k = extractFlowKey(eth('ff:ff:ff:ff:ff:ff', A, 0x0806, arp(1, A, '10.0.0.1', '00:00:00:00:00:00', '10.0.0.2')));
  t.same(k.arp, { sip: '10.0.0.1', tip: '10.0.0.2', op: 1, sha: A, tha: '00:00:00:00:00:00' });
  t.equal(k.ipv4, undefined);
  const r = extractFlowKey(eth(A, B, 0x0806, arp(2, B, '10.0.0.2', A, '10.0.0.1')));
  t.same(r.arp, { sip: '10.0.0.2', tip: '10.0.0.1', op: 2, sha: B, tha: A });
  const bad = arp(1, A, '10.0.0.1', B, '10.0.0.2'); bad[4] = 8;
  t.same(extractFlowKey(eth(B, A, 0x0806, bad)).arp, { sip: '0.0.0.0', tip: '0.0.0.0', op: 0, sha: '00:00:00:00:00:00', tha: '00:00:00:00:00:00' }, 'bad hardware length: zero fields');
});

t.test('IPv6 TCP/UDP, traffic class, flow label', async (t) => {
  const s = 'fd00::1', d = 'fd00::2:0:0:3';
  const k = extractFlowKey(eth(B, A, 0x86dd, ipv6({ src: s, dst: d, next: 6, tclass: 0xb8, label: 0x12345, hlimit: 9 }, tcp(s, d, 443, 50000, 0x18))));
  t.same(k.ipv6, { src: 'fd00::1', dst: 'fd00::2:0:0:3', label: 0x12345, proto: 6, tclass: 0xb8, hlimit: 9, frag: 0 });
  t.same(k.tcp, { src: 443, dst: 50000 });
  t.equal(k.tcpFlags, 0x18);
  const u = extractFlowKey(eth(B, A, 0x86dd, ipv6({ src: s, dst: d, next: 17 }, udp(s, d, 546, 547))));
  t.same(u.udp, { src: 546, dst: 547 });
});

t.test('IPv6 extension headers and fragments', async (t) => {
  const s = 'fd00::1', d = 'fd00::2';
  const hbh = Buffer.concat([Buffer.from([17, 0, 1, 4, 0, 0, 0, 0]), udp(s, d, 1000, 2000)]);
  const k = extractFlowKey(eth(B, A, 0x86dd, ipv6({ src: s, dst: d, next: 0 }, hbh)));
  t.equal(k.ipv6?.proto, 17, 'proto is the header after hop-by-hop');
  t.same(k.udp, { src: 1000, dst: 2000 });
  const fragFirst = Buffer.concat([Buffer.from([17, 0, 0x00, 0x01, 0, 0, 0, 1]), udp(s, d, 1, 2)]);
  const f1 = extractFlowKey(eth(B, A, 0x86dd, ipv6({ src: s, dst: d, next: 44 }, fragFirst)));
  t.equal(f1.ipv6?.frag, 1);
  t.same(f1.udp, { src: 1, dst: 2 });
  const fragLater = Buffer.concat([Buffer.from([17, 0, 0x00, 0x40, 0, 0, 0, 1]), Buffer.alloc(16)]);
  const f2 = extractFlowKey(eth(B, A, 0x86dd, ipv6({ src: s, dst: d, next: 44 }, fragLater)));
  t.equal(f2.ipv6?.frag, 2);
  t.equal(f2.ipv6?.proto, 17);
  t.equal(f2.udp, undefined);
});

t.test('ICMPv6 neighbor discovery: NS with SLL, NA with TLL, echo without nd', async (t) => {
  const s = 'fe80::1', d = 'ff02::1:ff00:2';
  const ns = extractFlowKey(eth('33:33:ff:00:00:02', A, 0x86dd, ipv6({ src: s, dst: d, next: 58, hlimit: 255 }, nd(s, d, 135, 'fe80::2', A))));
  t.same(ns.icmpv6, { type: 135, code: 0 });
  t.same(ns.nd, { target: 'fe80::2', sll: A, tll: '00:00:00:00:00:00' });
  const na = extractFlowKey(eth(A, B, 0x86dd, ipv6({ src: 'fe80::2', dst: s, next: 58, hlimit: 255 }, nd('fe80::2', s, 136, 'fe80::2', B))));
  t.same(na.nd, { target: 'fe80::2', sll: '00:00:00:00:00:00', tll: B });
  const echo = extractFlowKey(eth(B, A, 0x86dd, ipv6({ src: s, dst: 'fe80::2', next: 58 }, icmp6(s, 'fe80::2', 128, 0, Buffer.alloc(8)))));
  t.same(echo.icmpv6, { type: 128, code: 0 });
  t.equal(echo.nd, undefined);
});

t.test('802.3 frames: LLC without SNAP has no ethType; SNAP carries one', async (t) => {
  const llc = Buffer.alloc(46); llc[0] = 0x42; llc[1] = 0x42; llc[2] = 3;
  const k = extractFlowKey(eth('01:80:c2:00:00:00', A, 46, llc));
  t.same(k.eth, { src: A, dst: '01:80:c2:00:00:00' });
  t.equal(k.ethType, undefined);
  const snap = Buffer.concat([Buffer.from([0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00]), ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17 }, udp('1.1.1.1', '2.2.2.2', 5, 6))]);
  const s = extractFlowKey(eth(B, A, snap.length, snap));
  t.equal(s.ethType, 0x0800);
  t.same(s.udp, { src: 5, dst: 6 });
});

t.test('runt frame: only metadata', async (t) => {
  const w = new Uint32Array(KEY_WORDS);
  t.equal(extractKeyWords(Buffer.alloc(10), 0, 10, 7, w), false);
  t.equal(w[W.IN_PORT], 7);
  t.equal(w[W.DL_TYPE], 0);
});

t.test('extract at an offset, with L3/L4 offsets reported', async (t) => {
  const f = eth(B, A, 0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6 }, tcp('1.1.1.1', '2.2.2.2', 1, 2, 2)), 7);
  const buf = Buffer.concat([Buffer.alloc(64), f]);
  const w = new Uint32Array(KEY_WORDS), off = new Int32Array(2);
  t.ok(extractKeyWords(buf, 64, f.length, 1, w, off));
  t.same([...off], [18, 38]);
  t.same(keyFromWords(w).tcp, { src: 1, dst: 2 });
});

t.test('typed key <-> words round trip', async (t) => {
  const frames = [
    eth(B, A, 0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, tcp('10.0.0.1', '10.0.0.2', 9, 10, 0x10)), 42),
    eth(B, A, 0x86dd, ipv6({ src: 'fe80::1', dst: 'fe80::2', next: 58, hlimit: 255 }, nd('fe80::1', 'fe80::2', 135, 'fe80::2', A))),
    eth(B, A, 0x0806, arp(1, A, '10.0.0.1', B, '10.0.0.2')),
  ];
  for (const f of frames) {
    const w = new Uint32Array(KEY_WORDS);
    extractKeyWords(f, 0, f.length, 5, w);
    t.same([...keyToWords(keyFromWords(w))], [...w], 'words -> key -> words is the identity');
  }
});

t.test('IPv6 text: RFC 5952 output, parse forms, bad input', async (t) => {
  t.equal(wordsToIpv6(ipv6ToWords('2001:0db8:0000:0000:0000:0000:0002:0001')), '2001:db8::2:1');
  t.equal(wordsToIpv6(ipv6ToWords('2001:db8:0:1:1:1:1:1')), '2001:db8:0:1:1:1:1:1', 'one zero group is not compressed');
  t.equal(wordsToIpv6(ipv6ToWords('::ffff:10.1.2.3')), '::ffff:a01:203');
  t.equal(wordsToIpv6(ipv6ToWords('::')), '::');
  t.throws(() => ipv6ToWords('1::2::3'), { code: 'OVS_E_INVALID_INPUT' });
  t.throws(() => ipv6ToWords('12345::'), { code: 'OVS_E_INVALID_INPUT' });
  t.throws(() => keyToWords({ eth: { src: 'zz', dst: B } }), /eth\.src/);
  t.throws(() => keyToWords({ ipv4: { src: '1.2.3.256', dst: '1.1.1.1', proto: 6, tos: 0, ttl: 1, frag: 0 } }), /ipv4\.src/);
  t.throws(() => keyToWords({ inPort: -1 }), /inPort/);
});

t.test('masked matching (megaflows)', async (t) => {
  const pkt = extractFlowKey(eth(B, A, 0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udp('10.0.0.1', '10.0.0.2', 1, 53))), 2);
  const onlyPort = { inPort: 0xffffffff };
  t.ok(flowKeyMatches(pkt, { inPort: 2 }, onlyPort));
  t.notOk(flowKeyMatches(pkt, { inPort: 3 }, onlyPort));
  const dstNet = { ethType: 0xffff, ipv4: { src: '0.0.0.0', dst: '255.255.255.0', proto: 0, tos: 0, ttl: 0, frag: 0 } };
  t.ok(flowKeyMatches(pkt, { ethType: 0x0800, ipv4: { src: '0.0.0.0', dst: '10.0.0.99', proto: 0, tos: 0, ttl: 0, frag: 0 } }, dstNet));
  t.notOk(flowKeyMatches(pkt, { ethType: 0x0800, ipv4: { src: '0.0.0.0', dst: '10.0.1.2', proto: 0, tos: 0, ttl: 0, frag: 0 } }, dstNet));
  t.ok(flowKeyMatches(pkt, pkt), 'a key without mask matches itself exactly');
  const other = { ...pkt, udp: { src: 1, dst: 54 } };
  t.notOk(flowKeyMatches(pkt, other), 'exact flow: any field differs -> no match');
  const vlanMask = { vlanTci: 0xffff };
  t.ok(flowKeyMatches(pkt, {}, vlanMask), 'no VLAN matches a flow for "no tag"');
  t.notOk(flowKeyMatches({ ...pkt, vlanTci: 0x1000 | 10 }, {}, vlanMask));
  const m = maskToWords({ ethType: 0xffff });
  const e = exactMaskWords({ eth: { src: A, dst: B } });
  t.equal(e[W.DL_TYPE], 0xffff, 'an Ethernet key without ethType matches "not Ethernet II" exactly');
  t.ok(wordsMatch(keyToWords(pkt), keyToWords({ ethType: 0x0800 }), m));
});
