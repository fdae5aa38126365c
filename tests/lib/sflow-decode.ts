// A small sFlow v5 decoder for tests (sflow.org "sFlow Version 5"): datagram header, flow samples
// (raw packet header and extended switch records) and counter samples (generic interface counters).
export interface SflowFlowSample {
  kind: 'flow'; seq: number; sourceId: number; samplingRate: number; samplePool: number; drops: number; input: number; output: number;
  header?: { protocol: number; frameLength: number; stripped: number; bytes: Buffer };
  ext?: { srcVlan: number; srcPriority: number; dstVlan: number; dstPriority: number };
}
export interface SflowCounterSample {
  kind: 'counter'; seq: number; sourceId: number;
  ifCounters?: { ifIndex: number; ifType: number; speed: bigint; status: number; inOctets: bigint; inUcastPkts: number; outOctets: bigint; outUcastPkts: number };
}
export interface SflowDatagram { version: number; agent: string; subAgent: number; seq: number; uptime: number; samples: Array<SflowFlowSample | SflowCounterSample> }

export function decodeSflow(b: Buffer): SflowDatagram {
  let o = 0;
  const u32 = () => { const v = b.readUInt32BE(o); o += 4; return v; };
  const u64 = () => { const v = b.readBigUInt64BE(o); o += 8; return v; };
  const version = u32();
  if (version !== 5) throw new Error(`sFlow version ${version}, expected 5`);
  const at = u32();
  if (at !== 1) throw new Error(`agent address type ${at}, expected 1 (IPv4)`);
  const agent = [...b.subarray(o, o + 4)].join('.'); o += 4;
  const subAgent = u32(), seq = u32(), uptime = u32(), n = u32();
  const samples: Array<SflowFlowSample | SflowCounterSample> = [];
  for (let i = 0; i < n; i++) {
    const format = u32(), len = u32(), end = o + len;
    if (format === 1) {
      const s: SflowFlowSample = { kind: 'flow', seq: u32(), sourceId: u32(), samplingRate: u32(), samplePool: u32(), drops: u32(), input: u32(), output: u32() };
      const nr = u32();
      for (let r = 0; r < nr; r++) {
        const rf = u32(), rl = u32(), re = o + rl;
        if (rf === 1) {
          const protocol = u32(), frameLength = u32(), stripped = u32(), hl = u32();
          s.header = { protocol, frameLength, stripped, bytes: Buffer.from(b.subarray(o, o + hl)) };
        } else if (rf === 1001) {
          s.ext = { srcVlan: u32(), srcPriority: u32(), dstVlan: u32(), dstPriority: u32() };
        }
        o = re;
      }
      samples.push(s);
    } else if (format === 2) {
      const s: SflowCounterSample = { kind: 'counter', seq: u32(), sourceId: u32() };
      const nr = u32();
      for (let r = 0; r < nr; r++) {
        const rf = u32(), rl = u32(), re = o + rl;
        if (rf === 1) {
          const ifIndex = u32(), ifType = u32(), speed = u64(); u32(); const status = u32();
          const inOctets = u64(), inUcastPkts = u32(); o += 20;
          const outOctets = u64(), outUcastPkts = u32();
          s.ifCounters = { ifIndex, ifType, speed, status, inOctets, inUcastPkts, outOctets, outUcastPkts };
        }
        o = re;
      }
      samples.push(s);
    }
    o = end;
  }
  return { version, agent, subAgent, seq, uptime, samples };
}
