// IPFIX export (RFC 7011) as OVS's ofproto-dpif-ipfix does it, for a Bridge's IPFIX row
// (per-bridge sampling) and for each Flow_Sample_Collector_Set (packets sampled by OpenFlow
// `sample` actions, with the action's observation domain and point): sampled packets become flow
// records keyed by their L2-L4 headers, interfaces and direction, aggregated in a cache for `cache_active_timeout` seconds (0 = each sample is
// exported at once), bounded by `cache_max_flows`, sent over UDP with the templates they use
// (on the first message to a collector and every template interval).
import { CollectorSocket, parseCollectorTarget } from './collector-target.js';
import { ipv4ToBytes, macToBytes } from '../channel/inet.js';
import { extractFlowKey } from '../channel/flow-extract.js';

export interface IpfixTarget { host: string; port: number }

/** "IP:PORT" targets of the IPFIX table. */
export function parseIpfixTarget(s: string): IpfixTarget {
  return parseCollectorTarget(s, 'IPFIX');
}

export interface IpfixSettings {
  targets: IpfixTarget[];
  observationDomainId: number;
  observationPointId: number;
  samplingRate: number;
  /** Seconds a record is aggregated before export (0 = no caching). */
  cacheActiveTimeout: number;
  /** Records the cache holds at most (0 = no limit). */
  cacheMaxFlows: number;
  templateIntervalSeconds: number;
}

/** Information elements (IANA IPFIX registry ids, lengths). */
const IE = {
  octetDeltaCount: [1, 8], packetDeltaCount: [2, 8], protocolIdentifier: [4, 1], ipClassOfService: [5, 1],
  sourceTransportPort: [7, 2], sourceIPv4Address: [8, 4], ingressInterface: [10, 4], destinationTransportPort: [11, 2],
  destinationIPv4Address: [12, 4], egressInterface: [14, 4], sourceMacAddress: [56, 6], vlanId: [58, 2], flowDirection: [61, 1],
  destinationMacAddress: [80, 6], flowEndReason: [136, 1], observationPointId: [138, 4], flowStartMilliseconds: [152, 8],
  flowEndMilliseconds: [153, 8], ipTTL: [192, 1], ethernetType: [256, 2],
} as const;
type IeName = keyof typeof IE;

const L2_FIELDS: IeName[] = ['observationPointId', 'flowDirection', 'sourceMacAddress', 'destinationMacAddress', 'ethernetType', 'vlanId', 'ingressInterface',
  'egressInterface', 'flowStartMilliseconds', 'flowEndMilliseconds', 'packetDeltaCount', 'octetDeltaCount', 'flowEndReason'];
const IPV4_FIELDS: IeName[] = ['observationPointId', 'flowDirection', 'sourceMacAddress', 'destinationMacAddress', 'ethernetType', 'vlanId', 'sourceIPv4Address',
  'destinationIPv4Address', 'protocolIdentifier', 'ipClassOfService', 'ipTTL', 'sourceTransportPort', 'destinationTransportPort',
  'ingressInterface', 'egressInterface', 'flowStartMilliseconds', 'flowEndMilliseconds', 'packetDeltaCount', 'octetDeltaCount', 'flowEndReason'];
export const TEMPLATE_L2 = 256, TEMPLATE_IPV4 = 257;
const TEMPLATES: Array<[number, IeName[]]> = [[TEMPLATE_L2, L2_FIELDS], [TEMPLATE_IPV4, IPV4_FIELDS]];

/** Largest IPFIX message we send (RFC 7011 10.3.3: avoid IP fragmentation; OVS uses 1024). */
export const MAX_MESSAGE_BYTES = 1400;

/** flowEndReason values (RFC 5102). */
export const END_IDLE = 1, END_ACTIVE = 2, END_FORCED = 4, END_RESOURCES = 5;
/** flowDirection values (RFC 5102 5.11.6). */
export const DIRECTION_INGRESS = 0, DIRECTION_EGRESS = 1;

/** What one sampled packet stands for and where its record goes. */
export interface IpfixSampleInfo {
  /** Datapath port the packet entered on. */
  inPort: number;
  /** Datapath port it left on (undefined: none or several). */
  outPort?: number;
  obsDomainId: number;
  obsPointId: number;
  /** OVS: ingress/egress as the sample action says; by default egress when there is an output port. */
  direction: 'default' | 'ingress' | 'egress';
  /** Packets the sample stands for (OVS: the inverse of the sampling probability). */
  packetDeltaCount: bigint;
}

/** An exporting process's counters, as `ovs-ofctl dump-ipfix-bridge|dump-ipfix-flow` show them. */
export interface IpfixStats {
  /** Flow records created (each sample without a cache; each new cache entry with one). */
  totalFlows: number;
  /** Records in the cache now. */
  currentFlows: number;
  /** Sampled packets, IPv4/IPv6 ones with a known transport (TCP, UDP, SCTP, ICMP), and errors:
   *  IPv4/IPv6 with another transport, or not Ethernet at all. */
  pkts: number;
  ipv4Pkts: number;
  ipv6Pkts: number;
  errorPkts: number;
  ipv4ErrorPkts: number;
  ipv6ErrorPkts: number;
  /** Messages sent (one per collector) and sends that failed. */
  txPkts: number;
  txErrors: number;
}

interface FlowRecord {
  template: number;
  obsDomainId: number;
  values: Partial<Record<IeName, number | bigint | string>>;
  start: number;
  end: number;
  packets: bigint;
  bytes: bigint;
}

function templateSet(): Buffer {
  const parts: Buffer[] = [];
  for (const [id, fields] of TEMPLATES) {
    const b = Buffer.alloc(4 + 4 * fields.length);
    b.writeUInt16BE(id, 0); b.writeUInt16BE(fields.length, 2);
    fields.forEach((f, i) => { b.writeUInt16BE(IE[f][0], 4 + 4 * i); b.writeUInt16BE(IE[f][1], 6 + 4 * i); });
    parts.push(b);
  }
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(4); h.writeUInt16BE(2, 0); h.writeUInt16BE(4 + body.length, 2);
  return Buffer.concat([h, body]);
}

function encodeRecord(r: FlowRecord, reason: number): Buffer {
  const fields = r.template === TEMPLATE_IPV4 ? IPV4_FIELDS : L2_FIELDS;
  const all: Partial<Record<IeName, number | bigint | string>> = { ...r.values, flowStartMilliseconds: BigInt(r.start), flowEndMilliseconds: BigInt(r.end),
    packetDeltaCount: r.packets, octetDeltaCount: r.bytes, flowEndReason: reason };
  const out = Buffer.alloc(fields.reduce((n, f) => n + IE[f][1], 0));
  let o = 0;
  for (const f of fields) {
    const len = IE[f][1];
    const v = all[f] ?? 0;
    if (f === 'sourceMacAddress' || f === 'destinationMacAddress') macToBytes(String(v), out, o);
    else if (f === 'sourceIPv4Address' || f === 'destinationIPv4Address') ipv4ToBytes(String(v), out, o);
    else if (len === 8) out.writeBigUInt64BE(BigInt(v), o);
    else if (len === 4) out.writeUInt32BE(Number(v) >>> 0, o);
    else if (len === 2) out.writeUInt16BE(Number(v) & 0xffff, o);
    else out.writeUInt8(Number(v) & 0xff, o);
    o += len;
  }
  return out;
}

/** One IPFIX exporting process: a bridge's (per-bridge sampling) or one Flow_Sample_Collector_Set's
 *  (flow-based sampling: observation domain and point come with each sample). */
export class IpfixExporter {
  private readonly out: CollectorSocket;
  private readonly cache = new Map<string, FlowRecord>();
  /** Per observation domain (RFC 7011: sequence numbers and templates are scoped to one). */
  private readonly sequence = new Map<number, number>();
  private readonly templatesSentAt = new Map<number, number>();
  private pending: Array<{ rec: FlowRecord; reason: number }> = [];
  private timer?: NodeJS.Timeout;
  recordsSent = 0;
  private readonly counts = { totalFlows: 0, pkts: 0, ipv4Pkts: 0, ipv6Pkts: 0, errorPkts: 0, ipv4ErrorPkts: 0, ipv6ErrorPkts: 0 };

  constructor(public settings: IpfixSettings, private readonly onError: (m: string) => void = () => {}, private readonly now: () => number = Date.now) {
    this.out = new CollectorSocket('IPFIX', onError);
  }

  /** A packet sampled by bridge sampling: entered on datapath port `inPort`, left on `outPorts`. */
  sample(packet: Uint8Array, inPort: number, outPorts: readonly number[]): void {
    // OVS: packet_delta_count = UINT32_MAX / probability, probability = UINT32_MAX / sampling rate.
    const rate = Math.max(1, this.settings.samplingRate);
    const probability = Math.max(1, Math.floor(0xffffffff / rate));
    this.sampleWith(packet, {
      inPort, ...(outPorts.length === 1 ? { outPort: outPorts[0]! } : {}), obsDomainId: this.settings.observationDomainId,
      // OVS samples bridge IPFIX on input (compose_ipfix_action with no output port): ingress.
      obsPointId: this.settings.observationPointId, direction: 'ingress', packetDeltaCount: BigInt(Math.floor(0xffffffff / probability)),
    });
  }

  /** A sampled packet with everything its record needs said by the caller (flow-based sampling). */
  sampleWith(packet: Uint8Array, info: IpfixSampleInfo): void {
    const k = extractFlowKey(packet, info.inPort);
    const c = this.counts;
    c.pkts++;
    if (!k.eth) { c.errorPkts++; return; }
    if (k.ipv4) { if (k.tcp || k.udp || k.sctp || k.icmp) c.ipv4Pkts++; else { c.ipv4ErrorPkts++; c.errorPkts++; } }
    else if (k.ipv6) { if (k.tcp || k.udp || k.sctp || k.icmpv6) c.ipv6Pkts++; else { c.ipv6ErrorPkts++; c.errorPkts++; } }
    const now = this.now();
    const egress = info.direction === 'egress' || (info.direction === 'default' && info.outPort !== undefined);
    const values: FlowRecord['values'] = {
      observationPointId: info.obsPointId, flowDirection: egress ? DIRECTION_EGRESS : DIRECTION_INGRESS,
      sourceMacAddress: k.eth.src, destinationMacAddress: k.eth.dst,
      ethernetType: k.ethType ?? 0, vlanId: k.vlanTci !== undefined ? k.vlanTci & 0xfff : 0, ingressInterface: info.inPort,
      egressInterface: info.outPort ?? 0,
    };
    let template = TEMPLATE_L2;
    if (k.ipv4) {
      template = TEMPLATE_IPV4;
      const l4 = k.tcp ?? k.udp ?? k.sctp;
      Object.assign(values, { sourceIPv4Address: k.ipv4.src, destinationIPv4Address: k.ipv4.dst, protocolIdentifier: k.ipv4.proto, ipClassOfService: k.ipv4.tos,
        ipTTL: k.ipv4.ttl, sourceTransportPort: l4 ? l4.src : 0, destinationTransportPort: l4 ? l4.dst : k.icmp ? (k.icmp.type << 8) | k.icmp.code : 0 });
    }
    const packets = info.packetDeltaCount, bytes = info.packetDeltaCount * BigInt(packet.length);
    const obsDomainId = info.obsDomainId >>> 0;
    if (this.settings.cacheActiveTimeout <= 0) {
      c.totalFlows++;
      this.enqueue({ template, obsDomainId, values, start: now, end: now, packets, bytes }, END_FORCED);
      return;
    }
    const key = JSON.stringify([obsDomainId, template, values]);
    let r = this.cache.get(key);
    if (!r) {
      const max = this.settings.cacheMaxFlows;
      if (max > 0 && this.cache.size >= max) {
        const [oldestKey, oldest] = this.cache.entries().next().value as [string, FlowRecord];
        this.cache.delete(oldestKey);
        this.enqueue(oldest, END_RESOURCES);
      }
      r = { template, obsDomainId, values, start: now, end: now, packets: 0n, bytes: 0n };
      this.cache.set(key, r);
      c.totalFlows++;
    }
    r.end = now;
    r.packets += packets;
    r.bytes += bytes;
  }

  stats(): IpfixStats {
    return { ...this.counts, currentFlows: this.cache.size, txPkts: this.out.sent, txErrors: this.out.errors };
  }

  /** Exports cached records older than the active timeout (call periodically). */
  run(): void {
    const now = this.now();
    const t = this.settings.cacheActiveTimeout * 1000;
    for (const [k, r] of this.cache) {
      if (now - r.start >= t) { this.cache.delete(k); this.enqueue(r, END_ACTIVE); }
    }
  }

  private enqueue(rec: FlowRecord, reason: number): void {
    this.pending.push({ rec, reason });
    this.timer ??= setTimeout(() => {
      try { this.flush(); } catch (e) { this.onError(`IPFIX export failed: ${(e as Error).message}`); }
    }, 100);
  }

  /** Sends what is pending: one message per observation domain (the domain is in the header). */
  flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    if (!this.pending.length) return;
    const now = this.now();
    const byDomain = new Map<number, Array<{ rec: FlowRecord; reason: number }>>();
    for (const p of this.pending) {
      const list = byDomain.get(p.rec.obsDomainId);
      if (list) list.push(p); else byDomain.set(p.rec.obsDomainId, [p]);
    }
    this.pending = [];
    for (const [domain, list] of byDomain) {
      let withTemplates = now - (this.templatesSentAt.get(domain) ?? -Infinity) >= this.settings.templateIntervalSeconds * 1000;
      if (withTemplates) this.templatesSentAt.set(domain, now);
      // Records in template order, then cut into messages of at most MAX_MESSAGE_BYTES.
      const records = TEMPLATES.flatMap(([id]) => list.filter((p) => p.rec.template === id).map((p) => ({ id, bytes: encodeRecord(p.rec, p.reason) })));
      let i = 0;
      while (i < records.length) {
        const sets: Buffer[] = [];
        let size = 16;
        if (withTemplates) { const tpl = templateSet(); sets.push(tpl); size += tpl.length; withTemplates = false; }
        let count = 0;
        while (i < records.length) {
          const id = records[i]!.id;
          let j = i, setSize = 4;
          while (j < records.length && records[j]!.id === id && size + setSize + records[j]!.bytes.length <= MAX_MESSAGE_BYTES) setSize += records[j++]!.bytes.length;
          if (j === i) {
            if (count > 0) break;        // full: the rest goes in the next message
            setSize += records[j++]!.bytes.length; // a record alone always goes out
          }
          const h = Buffer.alloc(4); h.writeUInt16BE(id, 0); h.writeUInt16BE(setSize, 2);
          sets.push(h, ...records.slice(i, j).map((r) => r.bytes));
          size += setSize;
          count += j - i;
          i = j;
        }
        this.sendMessage(domain, now, sets, count);
      }
    }
  }

  private sendMessage(domain: number, now: number, sets: Buffer[], count: number): void {
    const payload = Buffer.concat(sets);
    const hdr = Buffer.alloc(16);
    hdr.writeUInt16BE(10, 0);
    hdr.writeUInt16BE(16 + payload.length, 2);
    hdr.writeUInt32BE(Math.floor(now / 1000) >>> 0, 4);
    const seq = this.sequence.get(domain) ?? 0;
    hdr.writeUInt32BE(seq >>> 0, 8);
    hdr.writeUInt32BE(domain >>> 0, 12);
    this.sequence.set(domain, (seq + count) >>> 0);
    this.recordsSent += count;
    this.out.send(Buffer.concat([hdr, payload]), this.settings.targets);
  }

  /** Exports everything cached (forced end) and closes. */
  close(): void {
    for (const r of this.cache.values()) this.enqueue(r, END_FORCED);
    this.cache.clear();
    this.flush();
    this.out.close();
  }
}
