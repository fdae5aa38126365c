// The switch's operator commands, shared by the unixctl control socket (ovs-appctl, ovs-ofctl,
// ovs-dpctl) and the management API (PowerShell): each returns OVS's text plus structured data.
import { readFileSync } from 'node:fs';
import type { OdpAction, OdpFlow, OdpFlowKey, OdpTunnelKey } from '../channel/odp-types.js';
import { InvalidInputError, OvsError } from '../util/errors.js';
import { formatActions, formatMatch, parseFlowMod, type FlowMod } from '../pipeline/flow-syntax.js';
import { formatPort } from '../pipeline/fields.js';
import type { Bridge } from '../pipeline/bridge.js';
import { OFPP_LOCAL, vportTypeName, type VSwitch } from './vswitch.js';
import { decodeFlowSampleCookie } from '../pipeline/flow-sample-cookie.js';
import type { IpfixStats } from './ipfix.js';

export class NoSuchBridgeError extends OvsError {
  constructor(name: string) { super('OVS_E_NO_BRIDGE', `${name} is not a bridge or a socket`); }
}

export interface CommandResult<T = unknown> { text: string; data: T }

function bridgeOf(sw: VSwitch, name: string | undefined): Bridge {
  if (!name) throw new InvalidInputError('a bridge name is required');
  if (!sw.pipeline.hasBridge(name)) throw new NoSuchBridgeError(name);
  return sw.pipeline.bridge(name);
}

export interface FlowView {
  table: number; priority: number; cookie: string; match: string; actions: string;
  packets: number; bytes: number; duration: number; idleTimeout: number; hardTimeout: number; text: string;
}

/** `ovs-ofctl dump-flows` text only (the control socket's reply): formats each rule once. */
export function dumpFlowsText(sw: VSwitch, bridge: string, filter = ''): CommandResult<null> {
  const lines = bridgeOf(sw, bridge).dumpFlows(filter);
  return { text: lines.length ? lines.join('\n') + '\n' : '', data: null };
}

export function dumpFlows(sw: VSwitch, bridge: string, filter = ''): CommandResult<{ flows: FlowView[] }> {
  const br = bridgeOf(sw, bridge);
  const lines = br.dumpFlows(filter);
  const rules = filter.trim() === '' ? br.allRules() : br.select(parseFlowMod(filter, 'delete')).sort((a, b) => a.table - b.table || b.priority - a.priority);
  const now = Date.now();
  const flows = rules.map((r, i) => ({
    table: r.table, priority: r.priority, cookie: `0x${r.cookie.toString(16)}`,
    match: formatMatch(r.match, r.priority), actions: formatActions(r.actions),
    packets: Number(r.nPackets), bytes: Number(r.nBytes), duration: (now - r.created) / 1000,
    idleTimeout: r.idleTimeout, hardTimeout: r.hardTimeout, text: (lines[i] ?? '').trim(),
  }));
  return { text: lines.map((l) => l + '\n').join(''), data: { flows } };
}

/** Adds several flows atomically: all parse before any is applied. */
export async function addFlows(sw: VSwitch, bridge: string, flows: string[]): Promise<CommandResult<{ added: number }>> {
  const br = bridgeOf(sw, bridge);
  const mods: FlowMod[] = [];
  flows.forEach((f, i) => {
    const t = f.trim();
    if (!t || t.startsWith('#')) return;
    try { mods.push(parseFlowMod(t, 'add')); } catch (e) { throw new InvalidInputError(`flow ${i + 1} ("${t}"): ${(e as Error).message}`); }
  });
  sw.noteFlowMods(mods);
  let added = 0;
  for (const m of mods) added += br.applyFlowMod(m).added;
  await sw.revalidate(true);
  return { text: '', data: { added } };
}

export async function delFlows(sw: VSwitch, bridge: string, filter = '', strict = false): Promise<CommandResult<{ deleted: number }>> {
  const br = bridgeOf(sw, bridge);
  const r = br.delFlows(filter, strict);
  await sw.revalidate(true);
  return { text: '', data: { deleted: r.deleted } };
}

export async function modFlows(sw: VSwitch, bridge: string, flow: string, strict = false): Promise<CommandResult<{ modified: number }>> {
  const br = bridgeOf(sw, bridge);
  const fm = parseFlowMod(flow, strict ? 'modify_strict' : 'modify');
  sw.noteFlowMods([fm]);
  const r = br.applyFlowMod(fm);
  await sw.revalidate(true);
  return { text: '', data: { modified: r.modified + r.added } };
}

export async function ofctlShow(sw: VSwitch, bridge: string): Promise<CommandResult> {
  const br = bridgeOf(sw, bridge);
  const ports = [...br.ports.values()].sort((a, b) => (a.ofport === OFPP_LOCAL ? 1 : 0) - (b.ofport === OFPP_LOCAL ? 1 : 0) || a.ofport - b.ofport);
  let text = `OFPT_FEATURES_REPLY (xid=0x2): dpid:${dpidOf(bridge)}\nn_tables:254, n_buffers:0\n`;
  text += 'capabilities: FLOW_STATS TABLE_STATS PORT_STATS QUEUE_STATS ARP_MATCH_IP\n';
  text += 'actions: output enqueue set_vlan_vid set_vlan_pcp strip_vlan mod_dl_src mod_dl_dst mod_nw_src mod_nw_dst mod_nw_tos mod_tp_src mod_tp_dst\n';
  const data = [];
  for (const p of ports) {
    const mac = sysfsMac(p.name) ?? '00:00:00:00:00:00';
    text += ` ${formatPort(p.ofport)}(${p.name}): addr:${mac}\n     config:     0\n     state:      0\n     speed: 0 Mbps now, 0 Mbps max\n`;
    data.push({ ofport: p.ofport, name: p.name, mac });
  }
  text += 'OFPT_GET_CONFIG_REPLY (xid=0x4): frags=normal miss_send_len=0\n';
  return { text, data: { ports: data } };
}

export async function dumpPorts(sw: VSwitch, bridge: string): Promise<CommandResult> {
  const br = bridgeOf(sw, bridge);
  const vports = new Map((await sw.dp.portDump()).map((v) => [v.portNo, v]));
  const ports = [...br.ports.values()].sort((a, b) => a.ofport - b.ofport);
  let text = `OFPST_PORT reply (xid=0x2): ${ports.length} ports\n`;
  const data = [];
  for (const p of ports) {
    const s = p.odpPort !== undefined ? vports.get(p.odpPort)?.stats : undefined;
    const n = (x: bigint | undefined) => (x === undefined ? '?' : String(x));
    const label = p.ofport === OFPP_LOCAL ? 'LOCAL' : String(p.ofport);
    text += `  port ${label.padStart(2)}: rx pkts=${n(s?.rxPackets)}, bytes=${n(s?.rxBytes)}, drop=${n(s?.rxDropped)}, errs=${n(s?.rxErrors)}, frame=0, over=0, crc=0\n`;
    text += `           tx pkts=${n(s?.txPackets)}, bytes=${n(s?.txBytes)}, drop=${n(s?.txDropped)}, errs=${n(s?.txErrors)}, coll=0\n`;
    data.push({ ofport: p.ofport, name: p.name, stats: s ? Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number(v)])) : null });
  }
  return { text, data: { ports: data } };
}

export async function dpctlShow(sw: VSwitch): Promise<CommandResult> {
  const info = await sw.dp.datapathGet();
  const ports = (await sw.dp.portDump()).sort((a, b) => a.portNo - b.portNo);
  const st = info.stats;
  const name = `system@${info.name}`;
  const pkts = st.hit + st.missed;
  let text = `${name}:\n  lookups: hit:${st.hit} missed:${st.missed} lost:${st.lost}\n  flows: ${st.flows}\n`;
  if (st.masks !== undefined) {
    const avg = pkts ? Number(st.maskHit ?? 0n) / Number(pkts) : 0;
    text += `  masks: hit:${st.maskHit ?? 0n} total:${st.masks} hit/pkt:${avg.toFixed(2)}\n`;
  }
  const hitRate = pkts ? (Number(st.hit) / Number(pkts)) * 100 : 0;
  text += `  cache: hit:${st.hit} hit-rate:${hitRate.toFixed(2)}%\n`;
  for (const p of ports) {
    const t = vportTypeName(p.type);
    text += `  port ${p.portNo}: ${p.name}${t === 'system' ? '' : ` (${t})`}\n`;
  }
  return {
    text,
    data: { datapaths: [{ name, hit: Number(st.hit), missed: Number(st.missed), lost: Number(st.lost), flows: Number(st.flows), cacheHitRate: hitRate,
      ports: ports.map((p) => ({ portNo: p.portNo, name: p.name, type: vportTypeName(p.type) })), text }] },
  };
}

/** ODP flow text in OVS's style; with a mask, only fields the mask covers are shown. */
export function formatOdpKey(key: OdpFlowKey, mask?: OdpFlowKey): string {
  const parts: string[] = [];
  const zeroMac = '00:00:00:00:00:00', fullMac = 'ff:ff:ff:ff:ff:ff';
  const has = (v: unknown): boolean => v !== undefined && v !== 0 && v !== '0.0.0.0' && v !== zeroMac && v !== '::';
  const field = (name: string, v: string | number, m: unknown, full: unknown, fmt: (x: string | number) => string = String): string | undefined => {
    if (!mask) return `${name}=${fmt(v)}`;
    if (!has(m)) return undefined;
    return m === full ? `${name}=${fmt(v)}` : `${name}=${fmt(v)}/${fmt(m as string | number)}`;
  };
  const group = (label: string, items: Array<string | undefined>): void => {
    const xs = items.filter((x): x is string => x !== undefined);
    if (xs.length) parts.push(`${label}(${xs.join(',')})`);
  };
  const m = mask;
  parts.push(`recirc_id(${key.recircId ?? 0})`);
  if (key.tunnel && (!m || m.tunnel)) parts.push(formatOdpTunnel(key.tunnel, m?.tunnel));
  if (key.inPort !== undefined && (!m || has(m.inPort))) parts.push(`in_port(${key.inPort})`);
  if (key.eth) group('eth', [field('src', key.eth.src, m?.eth?.src, fullMac), field('dst', key.eth.dst, m?.eth?.dst, fullMac)]);
  const vlan = key.vlanTci !== undefined && (!m || has(m.vlanTci));
  if (vlan) parts.push(`eth_type(0x8100),vlan(vid=${key.vlanTci! & 0xfff},pcp=${key.vlanTci! >> 13}),encap(`);
  const inner: string[] = [];
  const p2 = parts;
  const target = vlan ? inner : p2;
  const push = (x: string) => target.push(x);
  if (key.ethType !== undefined && (!m || has(m.ethType))) push(`eth_type(0x${key.ethType.toString(16).padStart(4, '0')})`);
  const groupTo = (label: string, items: Array<string | undefined>) => { const xs = items.filter((x): x is string => x !== undefined); if (xs.length) push(`${label}(${xs.join(',')})`); };
  if (key.ipv4) groupTo('ipv4', [field('src', key.ipv4.src, m?.ipv4?.src, '255.255.255.255'), field('dst', key.ipv4.dst, m?.ipv4?.dst, '255.255.255.255'),
    field('proto', key.ipv4.proto, m?.ipv4?.proto, 0xff), field('tos', key.ipv4.tos, m?.ipv4?.tos, 0xff), field('ttl', key.ipv4.ttl, m?.ipv4?.ttl, 0xff),
    !m || has(m.ipv4?.frag) ? `frag=${['no', 'first', 'later'][key.ipv4.frag] ?? key.ipv4.frag}` : undefined]);
  if (key.arp) groupTo('arp', [field('sip', key.arp.sip, m?.arp?.sip, '255.255.255.255'), field('tip', key.arp.tip, m?.arp?.tip, '255.255.255.255'), field('op', key.arp.op, m?.arp?.op, 0xffff)]);
  for (const l4 of ['tcp', 'udp', 'sctp'] as const) {
    const k = key[l4];
    if (k) groupTo(l4, [field('src', k.src, m?.[l4]?.src, 0xffff), field('dst', k.dst, m?.[l4]?.dst, 0xffff)]);
  }
  if (key.icmp) groupTo('icmp', [field('type', key.icmp.type, m?.icmp?.type, 0xff), field('code', key.icmp.code, m?.icmp?.code, 0xff)]);
  let s = parts.join(',');
  if (vlan) s += inner.join(',') + ')';
  return s;
}

/** OVS's tunnel(...) text; with a mask, only the fields it covers. */
export function formatOdpTunnel(t: OdpTunnelKey, m?: OdpTunnelKey): string {
  const out: string[] = [];
  const show = (v: unknown, mv: unknown) => v !== undefined && (!m || (mv !== undefined && mv !== 0 && mv !== 0n && mv !== '0.0.0.0'));
  if (show(t.id, m?.id)) out.push(`tun_id=0x${(t.id ?? 0n).toString(16)}`);
  if (show(t.ipv4Src, m?.ipv4Src)) out.push(`src=${t.ipv4Src}`);
  if (show(t.ipv4Dst, m?.ipv4Dst)) out.push(`dst=${t.ipv4Dst}`);
  if (show(t.tos, m?.tos) && (t.tos || m)) out.push(`tos=0x${(t.tos ?? 0).toString(16)}`);
  if (show(t.ttl, m?.ttl)) out.push(`ttl=${t.ttl}`);
  if (show(t.tpSrc, m?.tpSrc) && t.tpSrc) out.push(`tp_src=${t.tpSrc}`);
  if (show(t.tpDst, m?.tpDst) && t.tpDst) out.push(`tp_dst=${t.tpDst}`);
  if (m) {
    const f: string[] = [];
    if (m.dontFragment) f.push(`${t.dontFragment ? '+' : '-'}df`);
    if (m.csum) f.push(`${t.csum ? '+' : '-'}csum`);
    if (m.id !== undefined) f.push(`${t.id !== undefined ? '+' : '-'}key`);
    if (f.length) out.push(`flags(${f.join('')})`);
  } else {
    const f = [t.dontFragment ? 'df' : '', t.csum ? 'csum' : '', t.id !== undefined ? 'key' : '', t.oam ? 'oam' : ''].filter(Boolean);
    if (f.length) out.push(`flags(${f.join('|')})`);
  }
  return `tunnel(${out.join(',')})`;
}

/** The userspace action as OVS prints it; a flow-sample cookie is spelled out (flow_sample(...)). */
function formatUserspace(a: Extract<OdpAction, { type: 'userspace' }>): string {
  const c = decodeFlowSampleCookie(a.userdata);
  if (!c) return `userspace(pid=${a.pid})`;
  const dir = c.direction === 'default' ? '' : `,${c.direction}`;
  return `userspace(pid=${a.pid},flow_sample(probability=${c.probability},collector_set_id=${c.collectorSetId},obs_domain_id=${c.obsDomainId},`
    + `obs_point_id=${c.obsPointId},output_port=${c.outputPort ?? 0xffffffff}${dir}))`;
}

function formatOdpActionList(actions: readonly OdpAction[]): string {
  return actions.map((a) => {
    switch (a.type) {
      case 'output': return String(a.port);
      case 'push_vlan': return `push_vlan(vid=${a.tci & 0xfff},pcp=${a.tci >> 13})`;
      case 'pop_vlan': return 'pop_vlan';
      case 'userspace': return formatUserspace(a);
      case 'sample': return `sample(sample=${(100 * a.probability / 0xffffffff).toFixed(1)}%,actions(${formatOdpActionList(a.actions)}))`;
      case 'trunc': return `trunc(${a.maxLen})`;
      case 'drop': return 'drop';
      case 'set':
        if (a.key.tunnel) return `set(${formatOdpTunnel(a.key.tunnel)})`;
        if (a.key.priority !== undefined) return `set(skb_priority(0x${a.key.priority.toString(16)}))`;
        return 'set';
      default: return a.type;
    }
  }).join(',');
}

function formatOdpActions(flow: OdpFlow): string {
  return flow.actions.length ? formatOdpActionList(flow.actions) : 'drop';
}

export async function dpctlDumpFlows(sw: VSwitch): Promise<CommandResult> {
  const now = Date.now();
  const flows = await sw.dp.flowDump();
  let text = '';
  const data = [];
  for (const f of flows) {
    const used = f.used ? `${((now - f.used) / 1000).toFixed(3)}s` : 'never';
    const line = `${formatOdpKey(f.key, f.mask)}, packets:${f.stats?.packets ?? 0n}, bytes:${f.stats?.bytes ?? 0n}, used:${used}, actions:${formatOdpActions(f)}`;
    text += line + '\n';
    data.push({ flow: line, packets: Number(f.stats?.packets ?? 0n), bytes: Number(f.stats?.bytes ?? 0n) });
  }
  return { text, data: { flows: data } };
}

export async function dpctlDelFlows(sw: VSwitch): Promise<CommandResult> {
  await sw.flushFlows();
  return { text: '', data: {} };
}

export function fdbShow(sw: VSwitch, bridge: string): CommandResult {
  const br = bridgeOf(sw, bridge);
  const text = br.fdbShow();
  const names = new Map([...br.ports.values()].map((p) => [p.ofport, p.name]));
  const data = text.split('\n').slice(1).filter((l) => l.trim()).map((l) => {
    const [port, vlan, mac, age] = l.trim().split(/\s+/);
    const portNo = port === 'LOCAL' ? OFPP_LOCAL : Number(port);
    return { port: portNo, portName: names.get(portNo) ?? port, vlan: Number(vlan), mac, age: Number(age) };
  });
  return { text, data };
}

export function fdbFlush(sw: VSwitch, bridge?: string): CommandResult {
  const names = bridge ? [bridgeOf(sw, bridge).name] : sw.pipeline.bridgeNames();
  for (const n of names) sw.pipeline.bridge(n).fdbFlush();
  return { text: 'table successfully flushed\n', data: {} };
}

export async function dpifShow(sw: VSwitch): Promise<CommandResult> {
  const info = await sw.dp.datapathGet();
  let text = `system@${info.name}: hit:${info.stats.hit} missed:${info.stats.missed}\n`;
  const vports = new Map((await sw.dp.portDump()).map((v) => [v.portNo, v]));
  for (const name of sw.pipeline.bridgeNames()) {
    const br = sw.pipeline.bridge(name);
    text += `  ${name}:\n`;
    for (const p of [...br.ports.values()].sort((a, b) => a.ofport - b.ofport)) {
      const v = p.odpPort !== undefined ? vports.get(p.odpPort) : undefined;
      const type = p.patchPeer ? `patch: peer=${p.patchPeer}` : v ? vportTypeName(v.type) : 'system';
      text += `    ${p.name} ${formatPort(p.ofport)}/${p.odpPort ?? 'none'}: (${type})\n`;
    }
  }
  return { text, data: {} };
}

/** ofproto/trace BRIDGE FLOW: which rules a packet with these fields hits, and the datapath actions. */
export function ofprotoTrace(sw: VSwitch, bridge: string, flow: string): CommandResult {
  const br = bridgeOf(sw, bridge);
  const key = traceKey(sw, br, flow);
  const r = sw.pipeline.translate({ key }, { trace: true, sideEffects: false });
  let text = `Flow: ${flow}\n\nbridge("${bridge}")\n${'-'.repeat(9 + bridge.length)}\n`;
  text += r.trace.map((l) => ` ${l}\n`).join('');
  text += `\nFinal flow: unchanged\nMegaflow: ${formatOdpKey(key, r.mask)}\nDatapath actions: ${formatOdpActions({ key, actions: r.actions })}\n`;
  if (r.error) text += `Translation failed: ${r.error}\n`;
  return { text, data: { actions: r.actions.length, rules: r.rules.length, error: r.error ?? null } };
}

function traceKey(sw: VSwitch, br: Bridge, flow: string): OdpFlowKey {
  const key: OdpFlowKey = { eth: { src: '00:00:00:00:00:00', dst: '00:00:00:00:00:00' }, ethType: 0x05ff };
  for (const tok of flow.split(',').map((t) => t.trim()).filter(Boolean)) {
    const [k, v] = tok.split('=') as [string, string | undefined];
    const need = (what: string) => { if (v === undefined) throw new InvalidInputError(`${k}: missing value (expected ${what})`); return v; };
    switch (k) {
      case 'in_port': {
        const name = need('a port number or name');
        const p = /^\d+$/.test(name) ? br.ports.get(Number(name)) : br.portByName(name);
        if (!p || p.odpPort === undefined) throw new InvalidInputError(`${name}: no such port on ${br.name} with a datapath port`);
        key.inPort = p.odpPort;
        break;
      }
      case 'dl_src': key.eth!.src = need('a MAC address'); break;
      case 'dl_dst': key.eth!.dst = need('a MAC address'); break;
      case 'dl_type': key.ethType = Number(need('an ethertype')); break;
      case 'dl_vlan': key.vlanTci = 0x1000 | Number(need('a VLAN id')); break;
      case 'ip': key.ethType = 0x0800; key.ipv4 ??= { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 64, frag: 0 }; break;
      case 'arp': key.ethType = 0x0806; key.arp = { sip: '0.0.0.0', tip: '0.0.0.0', op: 1, sha: '00:00:00:00:00:00', tha: '00:00:00:00:00:00' }; break;
      case 'icmp': case 'tcp': case 'udp': {
        key.ethType = 0x0800;
        key.ipv4 ??= { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 64, frag: 0 };
        key.ipv4.proto = k === 'icmp' ? 1 : k === 'tcp' ? 6 : 17;
        if (k === 'icmp') key.icmp = { type: 8, code: 0 }; else key[k] = { src: 0, dst: 0 };
        break;
      }
      case 'nw_src': case 'nw_dst': {
        key.ethType = key.ethType === 0x0806 ? 0x0806 : 0x0800;
        if (key.arp) { if (k === 'nw_src') key.arp.sip = need('an IPv4 address'); else key.arp.tip = need('an IPv4 address'); break; }
        key.ipv4 ??= { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 64, frag: 0 };
        if (k === 'nw_src') key.ipv4.src = need('an IPv4 address'); else key.ipv4.dst = need('an IPv4 address');
        break;
      }
      case 'nw_proto': key.ipv4 ??= { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 64, frag: 0 }; key.ipv4.proto = Number(need('a protocol number')); break;
      case 'tp_src': case 'tp_dst': {
        const l4 = key.tcp ?? key.udp;
        if (!l4) throw new InvalidInputError(`${k} needs tcp or udp before it`);
        if (k === 'tp_src') l4.src = Number(need('a port')); else l4.dst = Number(need('a port'));
        break;
      }
      default: throw new InvalidInputError(`${tok}: unknown field in trace flow (expected in_port, dl_src, dl_dst, dl_type, dl_vlan, ip, arp, icmp, tcp, udp, nw_src, nw_dst, nw_proto, tp_src, tp_dst)`);
    }
  }
  if (key.inPort === undefined) {
    const local = br.ports.get(OFPP_LOCAL);
    if (local?.odpPort === undefined) throw new InvalidInputError('the trace flow needs in_port=PORT');
    key.inPort = local.odpPort;
  }
  void sw;
  return key;
}

export function coverageShow(sw: VSwitch): CommandResult {
  const c = sw.counters;
  const text = 'Event coverage (totals since start):\n' + Object.entries(c).map(([k, v]) => `${k.padEnd(24)} ${v}\n`).join('');
  return { text, data: c };
}

function dpidOf(bridge: string): string {
  const mac = sysfsMac(bridge);
  return mac ? '0000' + mac.replace(/:/g, '') : '0000000000000000';
}

function sysfsMac(name: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try { return readFileSync(`/sys/class/net/${name}/address`, 'utf8').trim(); } catch { return undefined; }
}

/** ofp-print's IPFIX statistics lines; `indent` starts the second line. */
function ipfixStatsText(s: IpfixStats, indent: string): string {
  return `flows=${s.totalFlows}, current flows=${s.currentFlows}, sampled pkts=${s.pkts}, ipv4 ok=${s.ipv4Pkts}, ipv6 ok=${s.ipv6Pkts}, tx pkts=${s.txPkts}\n`
    + `${indent}pkts errs=${s.errorPkts}, ipv4 errs=${s.ipv4ErrorPkts}, ipv6 errs=${s.ipv6ErrorPkts}, tx errs=${s.txErrors}\n`;
}

/** `ovs-ofctl dump-ipfix-bridge BRIDGE`: the bridge exporter's counters, or OVS's
 *  NXST_NOT_CONFIGURED reply (printed, exit status 0, as ovs-ofctl does) without bridge IPFIX. */
export function dumpIpfixBridge(sw: VSwitch, bridge: string): CommandResult<{ configured: boolean; stats: IpfixStats | null }> {
  bridgeOf(sw, bridge);
  const s = sw.ipfixStats(bridge).bridge;
  if (!s) return { text: 'OFPT_ERROR (xid=0x2): NXST_NOT_CONFIGURED\nNXST_IPFIX_BRIDGE request (xid=0x2):\n', data: { configured: false, stats: null } };
  return { text: `NXST_IPFIX_BRIDGE reply (xid=0x2):\n  bridge ipfix: ${ipfixStatsText(s, ' '.repeat(16))}`, data: { configured: true, stats: s } };
}

/** `ovs-ofctl dump-ipfix-flow BRIDGE`: each Flow_Sample_Collector_Set exporter's counters. */
export function dumpIpfixFlow(sw: VSwitch, bridge: string): CommandResult<{ configured: boolean; ids: Array<{ id: number; stats: IpfixStats }> }> {
  bridgeOf(sw, bridge);
  const flows = sw.ipfixStats(bridge).flows;
  if (!flows.length) return { text: 'OFPT_ERROR (xid=0x2): NXST_NOT_CONFIGURED\nNXST_IPFIX_FLOW request (xid=0x2):\n', data: { configured: false, ids: [] } };
  let text = `NXST_IPFIX_FLOW reply (xid=0x2): ${flows.length} ids\n`;
  for (const f of flows) text += `  id ${String(f.id).padStart(3)}: ${ipfixStatsText(f.stats, ' '.repeat(10))}`;
  return { text, data: { configured: true, ids: flows } };
}
