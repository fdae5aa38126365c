// sFlow version 5 export (sflow.org "sFlow Version 5", the format OVS's ofproto-dpif-sflow sends):
// flow samples (raw packet header record + extended switch record) for packets the datapath
// sampled, and counter samples (generic interface counters) every polling interval, packed in
// datagrams to each collector target over UDP.
import { isIPv4 } from 'node:net';
import { CollectorSocket, parseCollectorTarget } from './collector-target.js';
import { ipv4ToWord } from '../channel/flow-extract.js';
import { InvalidInputError } from '../util/errors.js';

export const SFLOW_DEFAULT_PORT = 6343;
const MAX_DATAGRAM = 1400;

export interface SflowTarget { host: string; port: number }

export interface SflowSettings {
  /** IPv4 address the datagrams name as the agent. */
  agentIp: string;
  targets: SflowTarget[];
  /** 1 in N packets (sFlow `sampling`, OVS default 400). */
  samplingRate: number;
  /** Counter polling interval, seconds (0 = none; OVS default 30). */
  pollingSeconds: number;
  /** Bytes of each sampled packet's header to export (OVS default 128). */
  headerBytes: number;
}

/** "IP[:PORT]" target strings of the sFlow table. */
export function parseSflowTarget(s: string): SflowTarget {
  return parseCollectorTarget(s, 'sFlow', SFLOW_DEFAULT_PORT);
}

export interface FlowSampleInput {
  /** ifIndex of the input and output interfaces (0 = unknown; output 0x80000000|n = n ports). */
  inputIfIndex: number;
  outputIfIndex: number;
  /** The sampling data source (the input port's ifIndex). */
  sourceIfIndex: number;
  packet: Uint8Array;
  srcVlan: number;
  srcPriority: number;
  dstVlan: number;
  dstPriority: number;
}

export interface IfCounters {
  ifIndex: number;
  /** ifType 6 = ethernetCsmacd. */
  ifType?: number;
  speed: bigint;
  adminUp: boolean;
  operUp: boolean;
  inOctets: bigint; inUcastPkts: number; inMulticastPkts: number; inBroadcastPkts: number; inDiscards: number; inErrors: number;
  outOctets: bigint; outUcastPkts: number; outMulticastPkts: number; outBroadcastPkts: number; outDiscards: number; outErrors: number;
}

/** XDR-style big-endian writer. */
class Xdr {
  private parts: Buffer[] = [];
  private len = 0;
  u32(v: number): this { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return this.push(b); }
  u64(v: bigint): this { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt.asUintN(64, v)); return this.push(b); }
  ipv4(ip: string): this { return this.u32(ipv4ToWord(ip)); }
  opaque(data: Uint8Array): this {
    this.u32(data.length);
    this.push(Buffer.from(data));
    const pad = (4 - (data.length % 4)) % 4;
    return pad ? this.push(Buffer.alloc(pad)) : this;
  }
  push(b: Buffer): this { this.parts.push(b); this.len += b.length; return this; }
  get length(): number { return this.len; }
  done(): Buffer { return Buffer.concat(this.parts, this.len); }
}

function record(format: number, body: Buffer): Buffer {
  return new Xdr().u32(format).u32(body.length).push(body).done();
}

export function encodeFlowSample(seq: number, rate: number, pool: number, s: FlowSampleInput, headerBytes: number): Buffer {
  const hdr = s.packet.subarray(0, Math.min(headerBytes, s.packet.length));
  // Raw packet header (format 1): protocol 1 = Ethernet; frame length counts the 4-byte FCS, stripped 4.
  const raw = new Xdr().u32(1).u32(s.packet.length + 4).u32(4).opaque(hdr).done();
  // Extended switch data (format 1001).
  const sw = new Xdr().u32(s.srcVlan).u32(s.srcPriority).u32(s.dstVlan).u32(s.dstPriority).done();
  const body = new Xdr().u32(seq).u32(s.sourceIfIndex & 0xffffff).u32(rate).u32(pool).u32(0)
    .u32(s.inputIfIndex).u32(s.outputIfIndex).u32(2).push(record(1, raw)).push(record(1001, sw)).done();
  return record(1, body);
}

export function encodeCounterSample(seq: number, c: IfCounters): Buffer {
  const x = new Xdr().u32(c.ifIndex).u32(c.ifType ?? 6).u64(c.speed).u32(1).u32((c.adminUp ? 1 : 0) | (c.operUp ? 2 : 0))
    .u64(c.inOctets).u32(c.inUcastPkts).u32(c.inMulticastPkts).u32(c.inBroadcastPkts).u32(c.inDiscards).u32(c.inErrors).u32(0)
    .u64(c.outOctets).u32(c.outUcastPkts).u32(c.outMulticastPkts).u32(c.outBroadcastPkts).u32(c.outDiscards).u32(c.outErrors).u32(0);
  const body = new Xdr().u32(seq).u32(c.ifIndex & 0xffffff).u32(1).push(record(1, x.done())).done();
  return record(2, body);
}

export function encodeDatagram(agentIp: string, subAgentId: number, seq: number, uptimeMs: number, samples: Buffer[]): Buffer {
  return new Xdr().u32(5).u32(1).ipv4(agentIp).u32(subAgentId).u32(seq).u32(uptimeMs).u32(samples.length).push(Buffer.concat(samples)).done();
}

/** One bridge's sFlow agent: sequence numbers, sample pools, batching and sending. */
export class SflowAgent {
  private readonly out: CollectorSocket;
  private readonly started = Date.now();
  private datagramSeq = 0;
  private flowSeq = 0;
  private pool = 0;
  private readonly counterSeq = new Map<number, number>();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushTimer?: NodeJS.Timeout;
  private lastPoll = 0;
  samplesSent = 0;
  datagramsSent = 0;

  constructor(public settings: SflowSettings, private readonly onError: (m: string) => void = () => {}) {
    if (!isIPv4(settings.agentIp)) throw new InvalidInputError(`sFlow agent address "${settings.agentIp}" is not an IPv4 address`);
    this.out = new CollectorSocket('sFlow', onError);
  }

  flowSample(s: FlowSampleInput): void {
    this.pool += this.settings.samplingRate;
    this.add(encodeFlowSample(++this.flowSeq, this.settings.samplingRate, this.pool, s, this.settings.headerBytes));
  }

  /** Whether the polling interval has passed since the last counter samples. */
  pollDue(now = Date.now()): boolean {
    const every = this.settings.pollingSeconds * 1000;
    return every > 0 && now - this.lastPoll >= every;
  }

  /** Counter samples when the polling interval has passed (call often; `force` for tests). */
  pollCounters(read: () => IfCounters[], now = Date.now(), force = false): void {
    const every = this.settings.pollingSeconds * 1000;
    if (!force && (every <= 0 || now - this.lastPoll < every)) return;
    this.lastPoll = now;
    for (const c of read()) {
      const seq = (this.counterSeq.get(c.ifIndex) ?? 0) + 1;
      this.counterSeq.set(c.ifIndex, seq);
      this.add(encodeCounterSample(seq, c));
    }
    this.flush();
  }

  private add(sample: Buffer): void {
    if (this.pendingBytes + sample.length + 28 > MAX_DATAGRAM) this.flush();
    this.pending.push(sample);
    this.pendingBytes += sample.length;
    // OVS's agent sends at most about once a second; we flush soon so collectors see samples promptly.
    this.flushTimer ??= setTimeout(() => this.flush(), 100);
  }

  flush(): void {
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = undefined; }
    if (!this.pending.length) return;
    const dgram = encodeDatagram(this.settings.agentIp, 0, ++this.datagramSeq, Date.now() - this.started, this.pending);
    this.samplesSent += this.pending.length;
    this.pending = [];
    this.pendingBytes = 0;
    this.out.send(dgram, this.settings.targets);
    this.datagramsSent++;
  }

  close(): void {
    this.flush();
    this.out.close();
  }
}
