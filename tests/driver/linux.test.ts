// TAP devices and AF_PACKET sockets, the datapath's two kinds of ports. Needs root.
import t from 'tap';
import { readSync, writeSync } from 'node:fs';
import { needRoot } from '../lib/env.js';
import { createTap } from '../../driver/linux/tap.js';
import { openPacketSocket, openRxRing, TP_STATUS_USER } from '../../driver/linux/af-packet.js';
import { getMac, getMtu, ifIndex, interfaceExists, isUp, parseMac } from '../../driver/linux/netdev.js';
import { createVethVm, deleteLink, deleteNetns, execInNetns, ip, waitForLinkUp } from '../../driver/linux/netns.js';
import { disableOffloads } from '../../driver/linux/offload.js';
import { closeFd, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_EVENT_SIZE, epollCreate, epollCtl, epollTag, epollWait, eventfd } from '../../driver/linux/native.js';
import { eth, ipv4, udp } from './frames.js';

const skip = needRoot();

function readWithin(fd: number, buf: Buffer, limitMs: number, want: (b: Buffer) => boolean): Buffer | undefined {
  const until = Date.now() + limitMs;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < until) {
    try {
      const n = readSync(fd, buf, 0, buf.length, null);
      const f = Buffer.from(buf.subarray(0, n));
      if (want(f)) return f;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(sleeper, 0, 0, 5);
    }
  }
  return undefined;
}

t.test('TAP: create with MAC and MTU, up, frames both ways, gone when closed', { skip }, async (t) => {
  deleteLink('ovspsh8lt');
  const tap = createTap('ovspsh8lt', { mac: '02:00:00:aa:bb:cc', mtu: 1400 });
  t.teardown(() => tap.close());
  t.ok(interfaceExists('ovspsh8lt'));
  t.equal(tap.mac, '02:00:00:aa:bb:cc');
  t.equal(getMac('ovspsh8lt'), '02:00:00:aa:bb:cc');
  t.equal(getMtu('ovspsh8lt'), 1400);
  t.ok(isUp('ovspsh8lt'), 'the TAP is up');
  t.equal(ifIndex('ovspsh8lt'), tap.ifindex);
  // Frames written to the fd enter the kernel on the TAP: a packet socket on it sees them.
  const s = openPacketSocket('ovspsh8lt', { ignoreOutgoing: false });
  t.teardown(() => s.close());
  const frame = eth('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:77', 0x0800, ipv4({ src: '10.1.1.1', dst: '10.1.1.255', proto: 17 }, udp('10.1.1.1', '10.1.1.255', 9, 9, Buffer.from('tap-in'))));
  t.equal(writeSync(tap.fd, frame), frame.length);
  const seen = readWithin(s.fd, Buffer.alloc(2048), 3000, (b) => b.includes(Buffer.from('tap-in')));
  t.same(seen, frame, 'the frame written to the TAP fd arrived on the interface');
  // Frames sent on the interface come out of the fd.
  const out = eth('02:00:00:aa:bb:cc', '02:00:00:00:00:78', 0x0800, ipv4({ src: '10.1.1.2', dst: '10.1.1.3', proto: 17 }, udp('10.1.1.2', '10.1.1.3', 9, 9, Buffer.from('tap-out'))));
  writeSync(s.fd, out);
  const got = readWithin(tap.fd, Buffer.alloc(2048), 3000, (b) => b.includes(Buffer.from('tap-out')));
  t.same(got, out, 'the frame sent on the interface was read from the TAP fd');
  s.close();
  tap.close();
  t.notOk(interfaceExists('ovspsh8lt'), 'closing the fd removes the TAP');
});

t.test('TAP and netdev helpers reject bad names and values', { skip }, async (t) => {
  t.throws(() => createTap('this-name-is-too-long'), { code: 'OVS_E_INVALID_INPUT' });
  t.throws(() => createTap('bad/name'), { code: 'OVS_E_INVALID_INPUT' });
  t.throws(() => createTap('ovspsh8lm', { mac: 'not-a-mac' }), { code: 'OVS_E_INVALID_INPUT' });
  t.notOk(interfaceExists('ovspsh8lm'), 'a failed create leaves no device behind');
  t.throws(() => parseMac('1:2:3'), /invalid MAC/);
  t.throws(() => ifIndex('ovspsh8none'), { code: 'OVS_E_NO_SUCH_INTERFACE' });
});

t.test('AF_PACKET on a veth: send and receive, ignore own frames, rx ring', { skip }, async (t) => {
  deleteNetns('ovspsh8ln');
  deleteLink('ovspsh8lv');
  const vm = createVethVm({ netns: 'ovspsh8ln', hostIf: 'ovspsh8lv', addresses: ['10.76.0.1/24'] });
  t.teardown(() => vm.destroy());
  t.ok(waitForLinkUp('ovspsh8lv'));
  const s = openPacketSocket('ovspsh8lv');
  t.teardown(() => s.close());
  t.equal(s.ifindex, ifIndex('ovspsh8lv'));
  // Receive: an ARP request from the namespace when it pings a neighbour nobody answers for.
  execInNetns('ovspsh8ln', 'ping', ['-c1', '-W1', '10.76.0.9']);
  const arpReq = readWithin(s.fd, Buffer.alloc(2048), 3000, (b) => b.readUInt16BE(12) === 0x0806);
  t.ok(arpReq, 'the ARP request from the namespace was received');
  t.equal(arpReq?.subarray(6, 12).toString('hex'), vm.mac.replace(/:/g, ''), 'from the namespace\'s vNIC');
  // Send: an ARP reply for 10.76.0.9 makes the namespace learn the neighbour.
  const reply = Buffer.alloc(28);
  reply.writeUInt16BE(1, 0); reply.writeUInt16BE(0x0800, 2); reply[4] = 6; reply[5] = 4; reply.writeUInt16BE(2, 6);
  parseMac('02:00:00:00:09:09').copy(reply, 8); Buffer.from([10, 76, 0, 9]).copy(reply, 14);
  parseMac(vm.mac).copy(reply, 18); Buffer.from([10, 76, 0, 1]).copy(reply, 24);
  writeSync(s.fd, eth(vm.mac, '02:00:00:00:09:09', 0x0806, reply));
  const neigh = readWithin(s.fd, Buffer.alloc(2048), 100, () => false);
  t.equal(neigh, undefined, 'the socket does not read back its own frame (PACKET_IGNORE_OUTGOING)');
  const r = execInNetns('ovspsh8ln', 'ip', ['neigh', 'show', '10.76.0.9']);
  t.match(r.stdout, /02:00:00:00:09:09/, 'the namespace learned the MAC from our ARP reply');
  // An rx ring on a second socket gets the same frames without a read per frame.
  const s2 = openPacketSocket('ovspsh8lv');
  const ring = openRxRing(s2.fd, { mtu: 1500 });
  t.teardown(() => { ring.close(); s2.close(); });
  t.ok(ring.frameCount >= 1024 && ring.frameSize >= 2048);
  execInNetns('ovspsh8ln', 'ping', ['-c1', '-W1', '10.76.0.8']);
  let found = false;
  for (let i = 0; i < ring.frameCount && !found; i++) {
    const base = i * ring.frameSize;
    if (ring.buffer.readUInt32LE(base) & TP_STATUS_USER) {
      const mac = ring.buffer.readUInt16LE(base + 12);
      found = ring.buffer.readUInt16BE(base + mac + 12) === 0x0806;
    }
  }
  t.ok(found, 'the ring holds the ARP request');
  t.throws(() => openPacketSocket('ovspsh8nope'), { code: 'OVS_E_NO_SUCH_INTERFACE' });
});

t.test('offloads: ethtool turns off tx/tso/gso on a veth', { skip: skip || (ip('-V') ? false : 'no ip') }, async (t) => {
  deleteLink('ovspsh8lo');
  ip('link', 'add', 'ovspsh8lo', 'type', 'veth', 'peer', 'name', 'ovspsh8lp');
  t.teardown(() => deleteLink('ovspsh8lo'));
  const r = disableOffloads('ovspsh8lo');
  if (!r.ethtool) { t.pass('ethtool missing: reported, nothing done'); return; }
  t.same(r.failed.filter((f) => ['tx', 'tso', 'gso'].includes(f)), [], 'tx, tso and gso could be turned off');
});

// The I/O workers' wait: an epoll set of fds, each reported with the tag it was added with.
t.test('epoll: tags of ready fds, removal, no event when nothing is ready', async (t) => {
  const ep = epollCreate();
  const a = eventfd(), b = eventfd();
  const events = Buffer.alloc(EPOLL_EVENT_SIZE * 8);
  try {
    epollCtl(ep, EPOLL_CTL_ADD, a, 7);
    epollCtl(ep, EPOLL_CTL_ADD, b, 0xffffffff);
    t.equal(epollWait(ep, events, 8, 0), 0, 'nothing ready yet');
    writeSync(b, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
    t.equal(epollWait(ep, events, 8, 1000), 1, 'one fd ready');
    t.equal(epollTag(events, 0), 0xffffffff, 'reported with its 32-bit tag');
    writeSync(a, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
    const n = epollWait(ep, events, 8, 1000);
    t.same(Array.from({ length: n }, (_, i) => epollTag(events, i)).sort((x, y) => x - y), [7, 0xffffffff], 'level-triggered: both reported while unread');
    readSync(b, Buffer.alloc(8), 0, 8, null);
    epollCtl(ep, EPOLL_CTL_DEL, a, 7);
    t.equal(epollWait(ep, events, 8, 0), 0, 'a removed fd and a drained one are not reported');
    t.throws(() => epollCtl(ep, EPOLL_CTL_ADD, b, 1), { code: 'OVS_E_NATIVE', errno: 17 }, 'adding an fd twice: EEXIST');
  } finally {
    closeFd(a); closeFd(b); closeFd(ep);
  }
});
