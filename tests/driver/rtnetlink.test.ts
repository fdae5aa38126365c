// rtnetlink next-hop lookups (driver/linux/rtnetlink.ts), what a tunnel sender uses to put outer
// packets on the device itself: route, neighbour, device MAC and MTU, asked inside a namespace by a
// child process (the lookups answer for the calling thread's namespace). Needs root.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { RtNetlink } from '../../driver/linux/rtnetlink.js';
import { ipv4ToWord } from '../../engine/channel/flow-extract.js';
import { needRoot } from '../lib/env.js';

const skip = needRoot();
const NS1 = 'ovspsh26rt1', NS2 = 'ovspsh26rt2';

function ip(...args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** nextHop(dst) asked in namespace `ns`: JSON of { ifindex, src, eth (hex), mtu } or null. */
function nextHopIn(ns: string, dst: string): { ifindex: number; src: number; eth: string; mtu: number } | null {
  const mod = join(projectRoot, '.build/driver/linux/rtnetlink.js');
  const code = `import(${JSON.stringify(mod)}).then((m) => { const r = new m.RtNetlink(); const h = r.nextHop(${ipv4ToWord(dst)}); r.close();
    console.log(JSON.stringify(h ? { ifindex: h.ifindex, src: h.src, eth: h.ethHeader.toString('hex'), mtu: h.mtu } : null)); })`;
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nextHop in ${ns}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ReturnType<typeof nextHopIn>;
}

t.test('loopback and local destinations have no device path', { skip }, async (t) => {
  const r = new RtNetlink();
  t.teardown(() => r.close());
  t.equal(r.nextHop(ipv4ToWord('127.0.0.1')), undefined, '127.0.0.1 is local: no next hop on a device');
});

t.test('a neighbour on a veth, directly and through a gateway route', { skip }, async (t) => {
  for (const ns of [NS1, NS2]) spawnSync('ip', ['netns', 'del', ns]);
  t.teardown(() => { for (const ns of [NS1, NS2]) spawnSync('ip', ['netns', 'del', ns]); });
  for (const ns of [NS1, NS2]) ip('netns', 'add', ns);
  ip('link', 'add', 'rtA', 'netns', NS1, 'type', 'veth', 'peer', 'name', 'rtB', 'netns', NS2);
  ip('-n', NS1, 'link', 'set', 'rtA', 'address', '02:00:00:00:26:01', 'mtu', '1450', 'up');
  ip('-n', NS2, 'link', 'set', 'rtB', 'address', '02:00:00:00:26:02', 'up');
  ip('-n', NS1, 'addr', 'add', '172.31.78.1/24', 'dev', 'rtA');
  ip('-n', NS2, 'addr', 'add', '172.31.78.2/24', 'dev', 'rtB');
  ip('-n', NS1, 'route', 'add', '10.99.0.0/16', 'via', '172.31.78.2');
  t.equal(nextHopIn(NS1, '172.31.78.2'), null, 'before ARP has resolved the neighbour: no device path');
  spawnSync('ip', ['netns', 'exec', NS1, 'ping', '-c', '1', '-W', '2', '172.31.78.2']);
  const ifindex = Number(/^(\d+):/.exec(ip('-n', NS1, '-o', 'link', 'show', 'rtA'))![1]);
  const direct = nextHopIn(NS1, '172.31.78.2');
  t.same(direct, { ifindex, src: ipv4ToWord('172.31.78.1'), eth: '020000002602' + '020000002601' + '0800', mtu: 1450 },
    'on-link: the neighbour\'s MAC, the device\'s MAC and MTU, the route source');
  const via = nextHopIn(NS1, '10.99.3.4');
  t.equal(via?.eth.slice(0, 12), '020000002602', 'through a gateway: the gateway\'s MAC');
  t.equal(via?.src, ipv4ToWord('172.31.78.1'));
  ip('-n', NS1, 'link', 'set', 'rtA', 'down');
  t.equal(nextHopIn(NS1, '172.31.78.2'), null, 'device down: no path');
});

t.test('link dump: every device of the namespace with what `ip -j link` says of it', { skip }, async (t) => {
  const ns = `ovpsrtd${process.pid % 100000}`;
  spawnSync('ip', ['netns', 'del', ns]);
  t.teardown(() => { spawnSync('ip', ['netns', 'del', ns]); });
  ip('netns', 'add', ns);
  ip('-n', ns, 'link', 'add', 'dumpa', 'mtu', '1400', 'type', 'veth', 'peer', 'name', 'dumpb');
  ip('-n', ns, 'link', 'set', 'dumpa', 'address', '02:00:00:00:aa:01');
  ip('-n', ns, 'link', 'set', 'dumpa', 'up');
  ip('-n', ns, 'link', 'set', 'dumpb', 'up');
  ip('-n', ns, 'link', 'set', 'dumpb', 'down');
  for (let i = 0; i < 20; i++) ip('-n', ns, 'link', 'add', `dx${i}`, 'type', 'veth', 'peer', 'name', `dy${i}`); // more than one reply part
  const mod = join(projectRoot, '.build/driver/linux/rtnetlink.js');
  const code = `import(${JSON.stringify(mod)}).then((m) => { const r = new m.RtNetlink(); console.log(JSON.stringify(r.dumpLinks())); r.close(); })`;
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const links = JSON.parse(r.stdout) as Array<{ name: string; ifindex: number; flags: number; mac?: string; mtu?: number; operstate: string }>;
  const ipView = JSON.parse(ip('-n', ns, '-j', 'link', 'show')) as Array<{ ifname: string; ifindex: number; address?: string; mtu: number; operstate: string }>;
  t.same(links.map((l) => l.name).sort(), ipView.map((l) => l.ifname).sort(), 'the same devices as ip link');
  for (const v of ipView) {
    const l = links.find((x) => x.name === v.ifname);
    t.same(l && { ifindex: l.ifindex, mtu: l.mtu, operstate: l.operstate.toUpperCase() }, { ifindex: v.ifindex, mtu: v.mtu, operstate: v.operstate }, `${v.ifname}: index, MTU, operstate`);
  }
  const a = links.find((l) => l.name === 'dumpa')!, b = links.find((l) => l.name === 'dumpb')!;
  t.equal(a.mac, '02:00:00:00:aa:01', 'MAC as aa:bb:.. text');
  t.equal(a.flags & 1, 1, 'dumpa IFF_UP');
  t.equal(b.flags & 1, 0, 'dumpb administratively down');
  t.equal(b.operstate, 'down', 'dumpb operstate down');
});
