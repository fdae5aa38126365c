// Differential test of NORMAL against a real ovs-vswitchd (OVS 3.1, dummy datapath, private run
// dir): the same ports and VLAN settings, the same packets injected (MAC learning), then
// `ovs-appctl ofproto/trace` compared with our translation: datapath actions (as the set of
// port + VLAN each copy leaves with), the megaflow, and `fdb/show`.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needRealOvs, needCommand } from '../lib/env.js';
import type { OdpAction, OdpFlowKey } from '../../engine/channel/odp-types.js';
import { Pipeline } from '../../engine/pipeline/pipeline.js';
import { formatMatch } from '../../engine/pipeline/flow-syntax.js';
import type { PortSpec } from '../../engine/pipeline/bridge.js';

const skip = needRealOvs() || needCommand('ovs-vswitchd');

interface Pkt { port: string; src: string; dst: string; vid?: number; pcp?: number; ip?: [string, string] }

const PORTS: Array<Omit<PortSpec, 'odpPort'> & { vsctl: string[] }> = [
  { name: 'p1', ofport: 1, tag: 10, vsctl: ['tag=10'] },
  { name: 'p2', ofport: 2, trunks: [10, 20], vsctl: ['trunks=10,20'] },
  { name: 'p3', ofport: 3, vsctl: [] },
  { name: 'p4', ofport: 4, tag: 20, vlanMode: 'native-untagged', vsctl: ['tag=20', 'vlan_mode=native-untagged'] },
  { name: 'p5', ofport: 5, tag: 10, vsctl: ['tag=10'] },
  { name: 'p6', ofport: 6, tag: 30, vlanMode: 'native-tagged', trunks: [10], vsctl: ['tag=30', 'vlan_mode=native-tagged', 'trunks=10'] },
];
/** br1, reached from br0 through the patch pair pa (br0) <-> pb (br1). */
const PORTS1: Array<Omit<PortSpec, 'odpPort'> & { vsctl: string[] }> = [
  { name: 'q1', ofport: 1, vsctl: [] },
  { name: 'q2', ofport: 2, tag: 10, vsctl: ['tag=10'] },
];
const M = (n: number) => `00:00:00:00:00:0${n}`;
const LEARN: Pkt[] = [
  { port: 'p1', src: M(1), dst: M(2) },
  { port: 'p2', src: M(2), dst: M(1), vid: 10, pcp: 3 },
  { port: 'p3', src: M(3), dst: 'ff:ff:ff:ff:ff:ff', vid: 20 },
  { port: 'p4', src: M(4), dst: M(3) },
  { port: 'p6', src: M(6), dst: M(1) },
  { port: 'p5', src: M(5), dst: M(9) },
  { port: 'q2', src: M(8), dst: M(1) },
];
const TRACE: Pkt[] = [
  ...LEARN,
  { port: 'p1', src: M(7), dst: 'ff:ff:ff:ff:ff:ff' },
  { port: 'p1', src: M(7), dst: M(2), vid: 10 },
  { port: 'p1', src: M(1), dst: M(5), ip: ['10.0.0.1', '10.0.0.5'] },
  { port: 'p2', src: M(7), dst: M(1) },
  { port: 'p2', src: M(7), dst: M(4), vid: 20, pcp: 6 },
  { port: 'p2', src: M(7), dst: M(1), vid: 30 },
  { port: 'p3', src: M(7), dst: M(1), vid: 10, pcp: 1 },
  { port: 'p3', src: M(7), dst: M(3) },
  { port: 'p3', src: M(7), dst: M(6), vid: 30, pcp: 2 },
  { port: 'p4', src: M(7), dst: M(3), vid: 20 },
  { port: 'p4', src: M(7), dst: 'ff:ff:ff:ff:ff:ff', vid: 10, pcp: 5 },
  { port: 'p5', src: M(7), dst: M(1) },
  { port: 'p6', src: M(7), dst: M(1), vid: 10 },
  { port: 'p6', src: M(7), dst: M(2), vid: 20 },
  { port: 'p6', src: M(7), dst: 'ff:ff:ff:ff:ff:ff' },
  { port: 'p1', src: M(7), dst: '01:80:c2:00:00:00' },
  { port: 'p3', src: M(7), dst: '01:00:5e:00:00:01', vid: 20 },
  { port: 'q1', src: M(7), dst: M(8), vid: 10 },
  { port: 'p1', src: M(1), dst: M(8) },
  { port: 'q2', src: M(8), dst: M(2) },
  { port: 'q1', src: M(9), dst: 'ff:ff:ff:ff:ff:ff', vid: 20, pcp: 4 },
];

function odpFlowText(p: Pkt, odp: number): string {
  const l3 = p.ip ? `eth_type(0x0800),ipv4(src=${p.ip[0]},dst=${p.ip[1]},proto=6,tos=0,ttl=64,frag=no),tcp(src=1,dst=2)` : 'eth_type(0x88b5)';
  const eth = `in_port(${odp}),eth(src=${p.src},dst=${p.dst})`;
  return p.vid === undefined ? `${eth},${l3}` : `${eth},eth_type(0x8100),vlan(vid=${p.vid},pcp=${p.pcp ?? 0}),encap(${l3})`;
}
function ofFlowText(p: Pkt, ofport: number): string {
  let s = `in_port=${ofport},dl_src=${p.src},dl_dst=${p.dst}`;
  if (p.vid !== undefined) s += `,dl_vlan=${p.vid},dl_vlan_pcp=${p.pcp ?? 0}`;
  return s + (p.ip ? `,tcp,nw_src=${p.ip[0]},nw_dst=${p.ip[1]},nw_tos=0,nw_ttl=64,tp_src=1,tp_dst=2` : ',dl_type=0x88b5');
}
function key(p: Pkt, odp: number): OdpFlowKey {
  const k: OdpFlowKey = { inPort: odp, eth: { src: p.src, dst: p.dst }, ethType: p.ip ? 0x0800 : 0x88b5 };
  if (p.vid !== undefined) k.vlanTci = 0x1000 | p.vid | ((p.pcp ?? 0) << 13);
  if (p.ip) { k.ipv4 = { src: p.ip[0], dst: p.ip[1], proto: 6, tos: 0, ttl: 64, frag: 0 }; k.tcp = { src: 1, dst: 2 }; }
  return k;
}

/** Each copy of the packet as "port/vlan": simulates push/pop between outputs. */
function copiesFromText(text: string, inVlan: string): string[] {
  if (text === 'drop') return [];
  let vlan = inVlan;
  const out: string[] = [];
  for (const a of text.match(/push_vlan\([^)]*\)|pop_vlan|\d+/g) ?? []) {
    if (a === 'pop_vlan') vlan = 'untagged';
    else if (a.startsWith('push_vlan')) { const m = /vid=(\d+),pcp=(\d+)/.exec(a)!; vlan = `${m[1]}/${m[2]}`; }
    else out.push(`${a}:${vlan}`);
  }
  return out.sort();
}
function copiesFromOurs(actions: OdpAction[], inVlan: string): string[] {
  let vlan = inVlan;
  const out: string[] = [];
  for (const a of actions) {
    if (a.type === 'pop_vlan') vlan = 'untagged';
    else if (a.type === 'push_vlan') vlan = `${a.tci & 0xfff}/${a.tci >> 13}`;
    else if (a.type === 'output') out.push(`${a.port}:${vlan}`);
    else out.push(`unexpected ${a.type}`);
  }
  return out.sort();
}

interface RealOvs {
  dir: string;
  db: string;
  must(cmd: string, args: string[]): string;
  appctl(...args: string[]): string;
}

/** ovsdb-server + ovs-vswitchd (dummy datapath) in a private directory, killed in teardown. */
function startRealOvs(t: { teardown(fn: () => void): void }): RealOvs {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h7-'));
  const env = { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir };
  t.teardown(() => {
    for (const pidfile of ['vs.pid', 'ovsdb.pid']) {
      const p = join(dir, pidfile);
      if (existsSync(p)) { try { process.kill(Number(readFileSync(p, 'utf8').trim()), 'SIGTERM'); } catch { /* gone */ } }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const must = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 20000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const db = `unix:${join(dir, 'db.sock')}`;
  must('ovsdb-tool', ['create', join(dir, 'conf.db'), '/usr/share/openvswitch/vswitch.ovsschema']);
  must('/usr/sbin/ovsdb-server', [join(dir, 'conf.db'), `--remote=punix:${join(dir, 'db.sock')}`, `--pidfile=${join(dir, 'ovsdb.pid')}`,
    `--log-file=${join(dir, 'ovsdb.log')}`, `--unixctl=${join(dir, 'ovsdb.ctl')}`, '--detach', '--no-chdir']);
  must('ovs-vsctl', [`--db=${db}`, '--no-wait', 'init']);
  must('/usr/sbin/ovs-vswitchd', [db, '--enable-dummy=override', '--disable-system', `--pidfile=${join(dir, 'vs.pid')}`,
    `--log-file=${join(dir, 'vs.log')}`, `--unixctl=${join(dir, 'vs.ctl')}`, '--detach', '--no-chdir']);
  return { dir, db, must, appctl: (...args: string[]) => must('ovs-appctl', ['-t', join(dir, 'vs.ctl'), ...args]) };
}

t.test('NORMAL matches real ovs-vswitchd: actions, megaflows, fdb', { skip }, async (t) => {
  const { db, must, appctl } = startRealOvs(t);
  const vsctl = ['--timeout=20', `--db=${db}`, 'add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=dummy', 'fail-mode=standalone'];
  for (const p of PORTS) {
    vsctl.push('--', 'add-port', 'br0', p.name, '--', 'set', 'interface', p.name, 'type=dummy', `ofport_request=${p.ofport}`);
    if (p.vsctl.length) vsctl.push('--', 'set', 'port', p.name, ...p.vsctl);
  }
  vsctl.push('--', 'add-port', 'br0', 'pa', '--', 'set', 'interface', 'pa', 'type=patch', 'options:peer=pb', 'ofport_request=7');
  vsctl.push('--', 'add-br', 'br1', '--', 'set', 'bridge', 'br1', 'datapath_type=dummy', 'fail-mode=standalone');
  vsctl.push('--', 'add-port', 'br1', 'pb', '--', 'set', 'interface', 'pb', 'type=patch', 'options:peer=pa', 'ofport_request=3');
  for (const p of PORTS1) {
    vsctl.push('--', 'add-port', 'br1', p.name, '--', 'set', 'interface', p.name, 'type=dummy', `ofport_request=${p.ofport}`);
    if (p.vsctl.length) vsctl.push('--', 'set', 'port', p.name, ...p.vsctl);
  }
  must('ovs-vsctl', vsctl);

  // Datapath port numbers as real OVS assigned them.
  const odpOf = new Map<string, number>();
  for (const m of appctl('dpif/show').matchAll(/^\s+(\S+) (\d+)\/(\d+):/gm)) odpOf.set(m[1]!, Number(m[3]));
  t.equal(odpOf.size, PORTS.length + PORTS1.length + 2, 'real datapath has the bridge ports and every non-patch port');

  const pipe = new Pipeline({ now: () => 0 });
  const br = pipe.addBridge('br0');
  br.addPort({ name: 'br0', ofport: 65534, odpPort: odpOf.get('br0')! });
  for (const { vsctl: _v, ...p } of PORTS) { void _v; br.addPort({ ...p, odpPort: odpOf.get(p.name)! }); }
  br.addPort({ name: 'pa', ofport: 7, patchPeer: 'pb' });
  const br1 = pipe.addBridge('br1');
  br1.addPort({ name: 'br1', ofport: 65534, odpPort: odpOf.get('br1')! });
  br1.addPort({ name: 'pb', ofport: 3, patchPeer: 'pa' });
  for (const { vsctl: _v, ...p } of PORTS1) { void _v; br1.addPort({ ...p, odpPort: odpOf.get(p.name)! }); }
  const allPorts = [...PORTS, ...PORTS1];

  for (const p of LEARN) {
    appctl('netdev-dummy/receive', p.port, odpFlowText(p, odpOf.get(p.port)!));
    pipe.translate({ key: key(p, odpOf.get(p.port)!) });
  }
  const fdb = (s: string) => s.split('\n').map((l) => l.replace(/\s+\d+$/, '')).filter((l) => l.trim()).sort();
  const realFdb = appctl('fdb/show', 'br0');
  t.same(fdb(br.fdbShow()), fdb(realFdb), 'fdb/show br0 lists the same port/VLAN/MAC entries');
  t.same(fdb(br1.fdbShow()), fdb(appctl('fdb/show', 'br1')), 'fdb/show br1 too');

  for (const p of TRACE) {
    const ofport = allPorts.find((x) => x.name === p.port)!.ofport;
    const out = appctl('ofproto/trace', PORTS1.some((x) => x.name === p.port) ? 'br1' : 'br0', ofFlowText(p, ofport));
    const realActions = /^Datapath actions: (.*)$/m.exec(out)?.[1] ?? '?';
    const realMega = (/^Megaflow: (.*)$/m.exec(out)?.[1] ?? '?').split(',')
      .filter((x) => x !== 'recirc_id=0' && x !== 'eth' && x !== 'nw_frag=no').join(',');
    const r = pipe.translate({ key: key(p, odpOf.get(p.port)!) }, { sideEffects: false });
    const inVlan = p.vid === undefined ? 'untagged' : `${p.vid}/${p.pcp ?? 0}`;
    const label = `${p.port} ${p.src}>${p.dst}${p.vid !== undefined ? ` vlan ${p.vid}` : ''}${p.ip ? ' tcp' : ''}`;
    t.same(copiesFromOurs(r.actions, inVlan), copiesFromText(realActions, inVlan), `${label}: ${realActions}`);
    // Our datapath key keeps the VLAN apart from the ethertype, so untagged megaflows also match
    // "no tag" (vlan_tci=0/0x1fff) where OVS relies on the outer ethertype; otherwise identical.
    const ours = formatMatch({ value: r.flow.map((v, i) => v & r.wildcards[i]!), mask: r.wildcards })
      .split(',').filter((x) => x !== 'vlan_tci=0x0000/0x1000' && x !== 'vlan_tci=0x1000/0x1000').join(',');
    t.equal(ours, realMega, `${label}: megaflow ${realMega}`);
  }
});

// ------------------------------------------------------------------ OpenFlow tables

const OF_FLOWS = [
  'table=0,priority=100,in_port=1,actions=resubmit(,1)',
  'table=0,priority=90,in_port=2,actions=load:0x5->NXM_NX_REG0[],resubmit(,2)',
  'table=0,priority=80,in_port=3,tcp,tp_dst=80,actions=mod_tp_dst:8080,mod_nw_tos:16,output:2',
  'table=0,priority=80,in_port=3,tcp,tp_dst=22,actions=drop',
  'table=0,priority=70,in_port=3,actions=FLOOD',
  'table=0,priority=60,in_port=4,dl_vlan=5,actions=strip_vlan,output:1',
  'table=0,priority=55,in_port=4,actions=mod_vlan_vid:7,mod_vlan_pcp:3,ALL',
  'table=1,priority=10,ip,nw_dst=10.0.0.0/8,actions=mod_dl_dst:00:00:00:00:00:99,mod_nw_dst:10.9.9.9,output:2',
  'table=1,priority=11,ip,nw_dst=10.128.0.0/9,actions=output:3',
  'table=1,priority=12,ip,nw_src=192.168.0.0/16,nw_dst=10.1.0.0/16,actions=output:4',
  'table=1,priority=5,actions=goto_table:3',
  'table=2,priority=10,reg0=5,ip,actions=move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[],output:LOCAL,output:2,in_port',
  'table=2,priority=5,actions=NORMAL',
  'table=3,priority=1,actions=mod_vlan_vid:42,output:3,strip_vlan,output:LOCAL,output:1,mod_tp_dst:8080,output:2',
  'table=3,priority=2,udp,tp_src=53,actions=set_field:00:00:00:00:00:77->eth_src,output:4',
];

interface OfPkt { inPort: number; proto: 'tcp' | 'udp' | 'none'; src?: string; dst?: string; tpSrc?: number; tpDst?: number; vid?: number }
const OF_PKTS: OfPkt[] = [
  { inPort: 1, proto: 'tcp', src: '1.1.1.1', dst: '10.1.2.3', tpSrc: 5, tpDst: 80 },
  { inPort: 1, proto: 'tcp', src: '192.168.3.4', dst: '10.1.2.3', tpSrc: 5, tpDst: 80 },
  { inPort: 1, proto: 'tcp', src: '1.1.1.1', dst: '10.200.0.1', tpSrc: 5, tpDst: 80 },
  { inPort: 1, proto: 'tcp', src: '1.1.1.1', dst: '192.1.2.3', tpSrc: 5, tpDst: 80 },
  { inPort: 1, proto: 'udp', src: '1.1.1.1', dst: '192.1.2.3', tpSrc: 53, tpDst: 999 },
  { inPort: 1, proto: 'udp', src: '1.1.1.1', dst: '11.1.2.3', tpSrc: 54, tpDst: 999 },
  { inPort: 1, proto: 'tcp', src: '1.1.1.1', dst: '10.64.0.1', tpSrc: 5, tpDst: 80, vid: 9 },
  { inPort: 1, proto: 'none' },
  { inPort: 2, proto: 'tcp', src: '3.3.3.3', dst: '4.4.4.4', tpSrc: 7, tpDst: 8 },
  { inPort: 2, proto: 'none' },
  { inPort: 3, proto: 'tcp', src: '3.3.3.3', dst: '4.4.4.4', tpSrc: 7, tpDst: 80 },
  { inPort: 3, proto: 'tcp', src: '3.3.3.3', dst: '4.4.4.4', tpSrc: 7, tpDst: 22 },
  { inPort: 3, proto: 'tcp', src: '3.3.3.3', dst: '4.4.4.4', tpSrc: 7, tpDst: 443 },
  { inPort: 3, proto: 'udp', src: '3.3.3.3', dst: '4.4.4.4', tpSrc: 7, tpDst: 80 },
  { inPort: 4, proto: 'none', vid: 5 },
  { inPort: 4, proto: 'none', vid: 6 },
  { inPort: 4, proto: 'tcp', src: '3.3.3.3', dst: '4.4.4.4', tpSrc: 7, tpDst: 80 },
];

const SRC_MAC = '00:00:00:00:00:01', DST_MAC = '00:00:00:00:00:02';
function ofPktText(p: OfPkt): string {
  let s = `in_port=${p.inPort},dl_src=${SRC_MAC},dl_dst=${DST_MAC}`;
  if (p.vid !== undefined) s += `,dl_vlan=${p.vid}`;
  if (p.proto === 'none') return s + ',dl_type=0x88b5';
  return s + `,${p.proto},nw_src=${p.src},nw_dst=${p.dst},nw_tos=0,nw_ttl=64,${p.proto}_src=${p.tpSrc},${p.proto}_dst=${p.tpDst}`;
}
function ofPktKey(p: OfPkt, odp: number): OdpFlowKey {
  const k: OdpFlowKey = { inPort: odp, eth: { src: SRC_MAC, dst: DST_MAC }, ethType: p.proto === 'none' ? 0x88b5 : 0x0800 };
  if (p.vid !== undefined) k.vlanTci = 0x1000 | p.vid;
  if (p.proto !== 'none') {
    k.ipv4 = { src: p.src!, dst: p.dst!, proto: p.proto === 'tcp' ? 6 : 17, tos: 0, ttl: 64, frag: 0 };
    k[p.proto] = { src: p.tpSrc!, dst: p.tpDst! };
  }
  return k;
}

type PktState = Record<string, string>;
/** Splits ODP action text at top-level commas. */
function topLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = '';
  for (const c of s) {
    if (c === ',' && depth === 0) { out.push(cur); cur = ''; continue; }
    if (c === '(') depth++;
    if (c === ')') depth--;
    cur += c;
  }
  if (cur) out.push(cur);
  return out;
}
/** Each copy of the packet (port + header fields) the real datapath actions produce. */
function copiesOfText(text: string, init: PktState): string[] {
  if (text === 'drop') return [];
  const st = { ...init };
  const out: string[] = [];
  for (const a of topLevel(text)) {
    let m: RegExpExecArray | null;
    if (/^\d+$/.test(a)) out.push(`${a} ${JSON.stringify(st)}`);
    else if (a === 'pop_vlan') st.vlan = 'none';
    else if ((m = /^push_vlan\(vid=(\d+),pcp=(\d+)\)$/.exec(a))) st.vlan = `${m[1]}/${m[2]}`;
    else if ((m = /^set\((\w+)\((.*)\)\)$/.exec(a))) {
      for (const kv of m[2]!.split(',')) {
        const [k, v] = kv.split('=');
        const name = `${m[1] === 'udp' ? 'tcp' : m[1]}.${k}`;
        const [val, mask] = v!.split('/');
        // A masked numeric set: new = (old & ~mask) | value.
        st[name] = mask === undefined ? val! : String((Number(st[name] ?? 0) & ~Number(mask)) | Number(val));
      }
    } else out.push(`unknown ${a}`);
  }
  return out.sort();
}
function copiesOfOurs(actions: OdpAction[], init: PktState): string[] {
  const st = { ...init };
  const out: string[] = [];
  for (const a of actions) {
    if (a.type === 'output') out.push(`${a.port} ${JSON.stringify(st)}`);
    else if (a.type === 'pop_vlan') st.vlan = 'none';
    else if (a.type === 'push_vlan') st.vlan = `${a.tci & 0xfff}/${a.tci >> 13}`;
    else if (a.type === 'set_masked') {
      const { key: k, mask: m } = a;
      if (k.eth && m.eth) {
        if (m.eth.src !== '00:00:00:00:00:00') st['eth.src'] = k.eth.src;
        if (m.eth.dst !== '00:00:00:00:00:00') st['eth.dst'] = k.eth.dst;
      }
      if (k.ipv4 && m.ipv4) {
        if (m.ipv4.src !== '0.0.0.0') st['ipv4.src'] = k.ipv4.src;
        if (m.ipv4.dst !== '0.0.0.0') st['ipv4.dst'] = k.ipv4.dst;
        if (m.ipv4.tos) st['ipv4.tos'] = String((Number(st['ipv4.tos'] ?? 0) & ~m.ipv4.tos) | k.ipv4.tos);
        if (m.ipv4.ttl) st['ipv4.ttl'] = String(k.ipv4.ttl);
      }
      const l4 = (k.tcp && m.tcp) ? [k.tcp, m.tcp] : (k.udp && m.udp) ? [k.udp, m.udp] : undefined;
      if (l4) {
        if (l4[1]!.src) st['tcp.src'] = String(l4[0]!.src);
        if (l4[1]!.dst) st['tcp.dst'] = String(l4[0]!.dst);
      }
    } else out.push(`unexpected ${a.type}`);
  }
  return out.sort();
}

t.test('OpenFlow tables match real ovs-vswitchd: datapath actions and megaflows', { skip }, async (t) => {
  const { db, must, appctl, dir } = startRealOvs(t);
  const vsctl = ['--timeout=20', `--db=${db}`, 'add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=dummy', 'fail-mode=secure'];
  for (let i = 1; i <= 4; i++) vsctl.push('--', 'add-port', 'br0', `p${i}`, '--', 'set', 'interface', `p${i}`, 'type=dummy', `ofport_request=${i}`);
  must('ovs-vsctl', vsctl);
  const odpOf = new Map<string, number>();
  for (const m of appctl('dpif/show').matchAll(/^\s+(\S+) (\d+)\/(\d+):/gm)) odpOf.set(m[1]!, Number(m[3]));
  const mgmt = `unix:${join(dir, 'br0.mgmt')}`;
  for (const f of OF_FLOWS) must('ovs-ofctl', ['add-flow', mgmt, f]);

  const pipe = new Pipeline({ now: () => 0 });
  const br = pipe.addBridge('br0', { defaultNormalFlow: false });
  br.addPort({ name: 'br0', ofport: 65534, odpPort: odpOf.get('br0')! });
  for (let i = 1; i <= 4; i++) br.addPort({ name: `p${i}`, ofport: i, odpPort: odpOf.get(`p${i}`)! });
  for (const f of OF_FLOWS) br.addFlow(f);
  t.same(br.dumpFlows('', { showStats: false }).sort(),
    must('ovs-ofctl', ['dump-flows', '--no-stats', mgmt]).split('\n').filter((l) => l.startsWith(' ')).sort(), 'same flow tables');

  for (const p of OF_PKTS) {
    const out = appctl('ofproto/trace', 'br0', ofPktText(p));
    const realActions = /^Datapath actions: (.*)$/m.exec(out)?.[1] ?? '?';
    const realMega = (/^Megaflow: (.*)$/m.exec(out)?.[1] ?? '?').split(',')
      .filter((x) => x !== 'recirc_id=0' && x !== 'eth' && x !== 'nw_frag=no').join(',');
    const key = ofPktKey(p, odpOf.get(`p${p.inPort}`)!);
    const r = pipe.translate({ key }, { sideEffects: false });
    const init: PktState = { vlan: p.vid === undefined ? 'none' : `${p.vid}/0` };
    const label = ofPktText(p);
    t.same(copiesOfOurs(r.actions, init), copiesOfText(realActions, init), `${label}: ${realActions}`);
    const ours = formatMatch({ value: r.flow.map((v, i) => v & r.wildcards[i]!), mask: r.wildcards })
      .split(',').filter((x) => x !== 'vlan_tci=0x0000/0x1000' && x !== 'vlan_tci=0x1000/0x1000').join(',');
    t.equal(ours, realMega, `${label}: megaflow ${realMega}`);
  }
});
