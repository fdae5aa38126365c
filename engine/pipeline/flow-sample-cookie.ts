// The userdata of the datapath `userspace` action that an OpenFlow `sample` action installs
// (OVS's user_action_cookie of type USER_ACTION_COOKIE_FLOW_SAMPLE, in our own layout): the
// bridge whose collector sets apply, the action's probability, collector set, observation domain
// and point, the datapath port the packet came in on, the sampling port's datapath port (when the
// action names one other than the input port) and the direction, so that the IPFIX exporter can
// build its record without re-translating.
import { InvalidInputError } from '../util/errors.js';
import type { SampleDirection } from './actions.js';

export interface FlowSampleCookie {
  bridge: string;
  /** The OpenFlow action's probability (1..65535 out of 65535). */
  probability: number;
  collectorSetId: number;
  obsDomainId: number;
  obsPointId: number;
  /** Datapath port the packet entered on. */
  inPort: number;
  /** Datapath port of `sampling_port` (undefined: none, or the input port). */
  outputPort?: number;
  direction: SampleDirection;
}

const MAGIC = 0x4653; // "FS"
const VERSION = 1;
const NO_PORT = 0xffffffff;
const DIRECTIONS: readonly SampleDirection[] = ['default', 'ingress', 'egress'];

export function encodeFlowSampleCookie(c: FlowSampleCookie): Buffer {
  const name = Buffer.from(c.bridge, 'utf8');
  if (name.length > 255) throw new InvalidInputError(`bridge name "${c.bridge}" is longer than 255 bytes`);
  const b = Buffer.alloc(2 + 1 + 2 + 4 * 5 + 1 + 1 + name.length);
  let o = 0;
  b.writeUInt16BE(MAGIC, o); o += 2;
  b.writeUInt8(VERSION, o); o += 1;
  b.writeUInt16BE(c.probability & 0xffff, o); o += 2;
  for (const v of [c.collectorSetId, c.obsDomainId, c.obsPointId, c.inPort, c.outputPort ?? NO_PORT]) { b.writeUInt32BE(v >>> 0, o); o += 4; }
  b.writeUInt8(DIRECTIONS.indexOf(c.direction), o); o += 1;
  b.writeUInt8(name.length, o); o += 1;
  name.copy(b, o);
  return b;
}

/** The cookie, or undefined when `b` is not a flow-sample cookie of ours. */
export function decodeFlowSampleCookie(b: Buffer | undefined): FlowSampleCookie | undefined {
  const fixed = 2 + 1 + 2 + 4 * 5 + 1 + 1;
  if (!b || b.length < fixed || b.readUInt16BE(0) !== MAGIC || b[2] !== VERSION) return undefined;
  let o = 3;
  const probability = b.readUInt16BE(o); o += 2;
  const u32: number[] = [];
  for (let i = 0; i < 5; i++) { u32.push(b.readUInt32BE(o)); o += 4; }
  const direction = DIRECTIONS[b[o++]!];
  const len = b[o++]!;
  if (!direction || probability === 0 || b.length !== o + len) return undefined;
  const [collectorSetId, obsDomainId, obsPointId, inPort, out] = u32 as [number, number, number, number, number];
  return {
    bridge: b.toString('utf8', o, o + len), probability, collectorSetId, obsDomainId, obsPointId, inPort,
    ...(out !== NO_PORT ? { outputPort: out } : {}), direction,
  };
}
