// Sizes shared by the datapath's main thread and its port workers.
export const MAX_PORTS = 4096;      // port numbers 0..4095 (a port costs an fd and table entries)
export const MAX_FLOWS = 65536;     // flow slots (the flow limit)
export const HEADROOM = 64;         // bytes before a received frame, for push_vlan without copying
export const FRAME_BUFFER = 65536 + HEADROOM;
/** Per flow slot in a stats section: packets, bytes, used (ms) as float64; tcp flags as uint32. */
export const FLOW_STAT_FIELDS = 3;
/** Per port: rx packets, rx bytes, tx packets, tx bytes, rx errors, tx errors, rx dropped, tx dropped. */
export const PORT_STAT_FIELDS = 8;
export const PS = { RX_PACKETS: 0, RX_BYTES: 1, TX_PACKETS: 2, TX_BYTES: 3, RX_ERRORS: 4, TX_ERRORS: 5, RX_DROPPED: 6, TX_DROPPED: 7 } as const;
/** Datapath counters: hit, missed, lost, mask hits. */
export const DP_STAT_FIELDS = 4;
export const DS = { HIT: 0, MISSED: 1, LOST: 2, MASK_HIT: 3 } as const;
/** Control words (Int32) shared by all threads of one datapath. */
export const CTRL = { GENERATION: 0, PENDING_UPCALLS: 1 } as const;
export const CTRL_WORDS = 4;

/** One thread's counters, in shared memory so the main thread reads them without a message. */
export class StatsSection {
  readonly flows: Float64Array;
  readonly tcpFlags: Uint32Array;
  readonly ports: Float64Array;
  readonly dp: Float64Array;
  constructor(readonly buffers: { flows: SharedArrayBuffer; tcpFlags: SharedArrayBuffer; ports: SharedArrayBuffer; dp: SharedArrayBuffer }) {
    this.flows = new Float64Array(buffers.flows);
    this.tcpFlags = new Uint32Array(buffers.tcpFlags);
    this.ports = new Float64Array(buffers.ports);
    this.dp = new Float64Array(buffers.dp);
  }
  static create(): StatsSection {
    return new StatsSection({
      flows: new SharedArrayBuffer(MAX_FLOWS * FLOW_STAT_FIELDS * 8),
      tcpFlags: new SharedArrayBuffer(MAX_FLOWS * 4),
      ports: new SharedArrayBuffer(MAX_PORTS * PORT_STAT_FIELDS * 8),
      dp: new SharedArrayBuffer(DP_STAT_FIELDS * 8),
    });
  }
}
