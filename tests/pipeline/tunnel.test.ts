// Tunnel ports in the pipeline: Interface options parsed with OVS's rules and wording, the receive
// lookup's precedence (tnl_find), set(tunnel(...)) + output on egress, tunnel metadata in the
// megaflow mask, tun_id/tun_src/tun_dst in OpenFlow matches and actions.
import t from 'tap';
import type { OdpAction, OdpFlowKey } from '../../engine/channel/odp-types.js';
import { Pipeline } from '../../engine/pipeline/pipeline.js';
import { parseFlowMod, formatFlowMod } from '../../engine/pipeline/flow-syntax.js';
import { findTunnelPort, parseTunnelOptions, tunnelDpPortName, type TunnelConfig } from '../../engine/pipeline/tunnel.js';

const A = '00:00:00:00:00:0a', B = '00:00:00:00:00:0b';
const opts = (o: Record<string, string>) => new Map(Object.entries(o));

function cfg(o: Record<string, string>): TunnelConfig {
  const r = parseTunnelOptions('vx0', 'vxlan', opts(o));
  if (!r.config) throw new Error(r.error);
  return r.config;
}

t.test('options: defaults, keys, errors in OVS wording', async (t) => {
  const c = cfg({ remote_ip: '172.31.0.2' });
  t.match(c, { remoteIp: '172.31.0.2', dstPort: 4789, ttl: 64, dontFragment: true, inKeyPresent: false, outKeyPresent: false, csum: false });
  t.equal(tunnelDpPortName(c), 'vxlan_sys_4789');
  t.equal(tunnelDpPortName(cfg({ remote_ip: '1.2.3.4', dst_port: '4790' })), 'vxlan_sys_4790');
  t.equal(parseTunnelOptions('g0', 'geneve', opts({ remote_ip: '1.2.3.4' })).config?.dstPort, 6081);
  t.match(cfg({ remote_ip: 'flow', key: 'flow' }), { remoteIpFlow: true, inKeyFlow: true, outKeyFlow: true, inKeyPresent: true });
  t.match(cfg({ remote_ip: '1.2.3.4', in_key: '5', out_key: '0x10' }), { inKey: 5n, outKey: 16n, inKeyPresent: true, outKeyPresent: true });
  t.match(cfg({ remote_ip: '1.2.3.4', key: '7', out_key: 'flow' }), { inKey: 7n, outKeyFlow: true });
  t.match(cfg({ remote_ip: '1.2.3.4', tos: 'inherit', ttl: 'inherit', df_default: 'false', csum: 'true' }), { tosInherit: true, ttlInherit: true, dontFragment: false, csum: true });
  t.equal(parseTunnelOptions('vx0', 'vxlan', opts({})).error, "vx0: vxlan type requires valid 'remote_ip' argument");
  t.equal(parseTunnelOptions('vx0', 'vxlan', opts({ remote_ip: 'nonsense' })).error, "vx0: bad vxlan 'remote_ip'\nvx0: vxlan type requires valid 'remote_ip' argument");
  t.equal(parseTunnelOptions('vx0', 'vxlan', opts({ remote_ip: '239.1.1.1' })).error, 'vx0: multicast remote_ip=239.1.1.1 not allowed');
  t.equal(parseTunnelOptions('vx0', 'vxlan', opts({ remote_ip: '1.2.3.4', local_ip: 'flow' })).error, "vx0: vxlan type requires 'remote_ip=flow' with 'local_ip=flow'");
  const w = parseTunnelOptions('vx0', 'vxlan', opts({ remote_ip: '1.2.3.4', bogus: '1', tos: '3' }));
  t.ok(w.config, 'unknown options and a bad TOS are warnings, not errors');
  t.same(w.warnings, ["vx0: unknown vxlan argument 'bogus'", 'vx0: invalid TOS 3']);
});

t.test('receive lookup: fixed key before key=flow, fixed remote before remote_ip=flow, local_ip', async (t) => {
  const ports = [
    { name: 'flowkey', config: cfg({ remote_ip: '10.0.0.2', key: 'flow' }), odpPort: 5 },
    { name: 'key5', config: cfg({ remote_ip: '10.0.0.2', key: '5' }), odpPort: 5 },
    { name: 'anyremote', config: cfg({ remote_ip: 'flow', key: '5' }), odpPort: 5 },
    { name: 'local', config: cfg({ remote_ip: '10.0.0.3', local_ip: '10.0.0.1' }), odpPort: 5 },
    { name: 'otherport', config: cfg({ remote_ip: '10.0.0.2' }), odpPort: 6 },
  ];
  const find = (id: bigint, src: string, dst = '10.0.0.1', odp = 5) => findTunnelPort(ports, odp, { id, ipv4Src: src, ipv4Dst: dst })?.name;
  t.equal(find(5n, '10.0.0.2'), 'key5', 'exact key and remote win');
  t.equal(find(9n, '10.0.0.2'), 'flowkey', 'other keys from that remote go to the key=flow port');
  t.equal(find(5n, '10.0.0.9'), 'anyremote', 'key 5 from an unknown remote goes to remote_ip=flow');
  t.equal(find(0n, '10.0.0.3'), 'local', 'local_ip matches the outer destination');
  t.equal(find(0n, '10.0.0.3', '10.0.0.99'), undefined, 'but not another destination');
  t.equal(find(0n, '10.0.0.2', '10.0.0.1', 6), 'otherport', 'the datapath port (UDP port) is part of the match');
  t.equal(find(1n, '10.0.0.2', '10.0.0.1', 6), undefined, 'no key configured means key 0');
});

function setup() {
  const p = new Pipeline();
  const br = p.addBridge('br-int');
  br.addPort({ name: 'br-int', ofport: 65534, odpPort: 0 });
  br.addPort({ name: 'vm1', ofport: 1, odpPort: 2, tag: 900 });
  br.addPort({ name: 'vx', ofport: 2, odpPort: 7, tunnel: cfg({ remote_ip: '172.31.0.2' }) });
  br.addPort({ name: 'vxf', ofport: 3, odpPort: 7, tunnel: cfg({ remote_ip: 'flow', key: 'flow', tos: 'inherit' }) });
  return { p, br };
}

const fromVm = (dst = B): OdpFlowKey => ({ inPort: 2, eth: { src: A, dst }, ethType: 0x88b5 });
const fromTunnel = (id: bigint, src = '172.31.0.2', vid = 900): OdpFlowKey => ({
  inPort: 7, tunnel: { id, ipv4Src: src, ipv4Dst: '172.31.0.1', tos: 0, ttl: 64, tpSrc: 50000, tpDst: 4789 },
  eth: { src: B, dst: A }, vlanTci: 0x1000 | vid, ethType: 0x88b5,
});
const tunnelSet = (acts: OdpAction[]) => acts.filter((a) => a.type === 'set').map((a) => (a as { key: OdpFlowKey }).key.tunnel);

t.test('NORMAL over a tunnel port: set(tunnel) then output; received frames map to the port', async (t) => {
  const { p, br } = setup();
  const r = p.translate({ key: fromVm() });
  t.same(r.actions, [
    { type: 'set', key: { tunnel: { ipv4Dst: '172.31.0.2', ttl: 64, dontFragment: true, tpDst: 4789 } } },
    { type: 'push_vlan', tpid: 0x8100, tci: 0x1000 | 900 },
    { type: 'output', port: 7 },
    { type: 'output', port: 0 },
  ], 'flooded to the fixed tunnel (no key configured: none set) with the VLAN tag, and LOCAL; not to the remote_ip=flow port (no tun_dst)');
  t.equal(r.mask.tunnel?.ipv4Dst, '255.255.255.255', 'the remote_ip=flow port read tun_dst (0 here), so the megaflow matches it');
  t.equal(r.mask.tunnel?.id, undefined, 'but not the key');
  const back = p.translate({ key: fromTunnel(0n) });
  t.same(back.actions, [{ type: 'pop_vlan' }, { type: 'output', port: 2 }], 'the reply from the peer reaches the VM, untagged');
  t.match(back.mask.tunnel, { id: 0xffffffffffffffffn, ipv4Src: '255.255.255.255', ipv4Dst: '255.255.255.255', tos: 0xff, dontFragment: true, csum: true },
    'the megaflow matches the tunnel key, endpoints, outer TOS and flags (OVS tnl_wc_init)');
  t.equal(back.mask.tunnel?.tpSrc, undefined, 'the outer UDP source port stays wildcarded');
  t.match(br.fdbShow(), /\n +2 +900 +00:00:00:00:00:0b/, 'the peer VM was learnt on the tunnel port');
  const unknown = p.translate({ key: { ...fromTunnel(0n, '172.31.0.9'), inPort: 8 } });
  t.match(unknown.error, /receive tunnel port not found/, 'a tunnel packet on a vport no tunnel port uses has no port');
  t.match(unknown.mask.tunnel, { id: 0xffffffffffffffffn, ipv4Src: '255.255.255.255' }, 'its drop megaflow is specific to the tunnel');
});

t.test('key=flow: rules read tun_id and choose the key with set_field', async (t) => {
  const { p, br } = setup();
  br.addFlow('priority=100,in_port=1,actions=set_field:0x77->tun_id,set_field:172.31.0.5->tun_dst,output:3');
  br.addFlow('priority=100,tun_id=0x77,in_port=3,actions=output:1');
  const out = p.translate({ key: { ...fromVm(), ipv4: { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, tos: 0xb9, ttl: 9, frag: 0 }, ethType: 0x0800 } });
  t.same(tunnelSet(out.actions), [{ id: 0x77n, ipv4Dst: '172.31.0.5', tos: 0xb9, ttl: 64, dontFragment: true, tpDst: 4789 }],
    'key and remote from the flow, TOS inherited (DSCP by option, ECN always)');
  t.same(out.actions.at(-1), { type: 'output', port: 7 });
  const inbound = p.translate({ key: fromTunnel(0x77n, '172.31.0.5', 0) });
  t.same(inbound.actions, [{ type: 'output', port: 2 }], 'VNI 0x77 from any remote enters through the key=flow port and the tun_id rule');
  const other = p.translate({ key: fromTunnel(0x78n, '172.31.0.5', 0) });
  t.notOk(other.actions.some((a) => a.type === 'output' && a.port === 2), 'another VNI does not reach the VM (only the NORMAL default rule matches)');
  t.match(br.dumpFlows('', { showStats: false }).join('\n'), /priority=100,tun_id=0x77,in_port=3 actions=output:1/);
  t.match(br.dumpFlows('', { showStats: false }).join('\n'), /actions=load:0x77->NXM_NX_TUN_ID\[\],load:0xac1f0005->NXM_NX_TUN_IPV4_DST\[\],output:3/);
});

t.test('set_tunnel and tun_src/tun_dst matches in flow syntax', async (t) => {
  t.match(formatFlowMod(parseFlowMod('tun_src=10.0.0.0/8,tun_dst=10.1.1.1,actions=set_tunnel:5')), /ADD tun_src=10\.0\.0\.0\/8,tun_dst=10\.1\.1\.1 actions=set_tunnel:0x5/);
  t.match(formatFlowMod(parseFlowMod('tun_id=0x5/0xff,actions=set_tunnel64:0x100000000')), /ADD tun_id=0x5\/0xff actions=set_tunnel64:0x100000000/);
  t.throws(() => parseFlowMod('actions=set_tunnel:0x100000000'), /does not fit in 32 bits/);
});
