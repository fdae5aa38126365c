// OpenFlow actions as the pipeline executes them (OVS's "ofpacts", the subset we support).
import type { MetaField } from './match.js';

/** A bit range of a named field: `ofs` is the lowest bit, `nbits` the width. */
export interface Subfield { mf: MetaField; ofs: number; nbits: number }

export type OfAction =
  /** Output to a port; reserved ports (NORMAL, FLOOD, ALL, IN_PORT, LOCAL, CONTROLLER) included. */
  | { type: 'output'; port: number; maxLen: number }
  /** mod_vlan_vid (push=true: add a tag when none) / set_vlan_vid (push=false). */
  | { type: 'set_vlan_vid'; vid: number; push: boolean }
  | { type: 'set_vlan_pcp'; pcp: number; push: boolean }
  | { type: 'strip_vlan' }
  | { type: 'push_vlan'; tpid: number }
  /** set_field / load / mod_dl_src...: value and mask in the field's own space. `via` keeps how
   *  the user wrote it (OVS prints loads as loads; mod_* actions skip prerequisite checks). */
  | { type: 'set_field'; mf: MetaField; value: bigint; mask: bigint; via: 'set_field' | 'load' | 'mod' | 'set_tunnel' | 'set_tunnel64' }
  | { type: 'move'; src: Subfield; dst: Subfield }
  /** resubmit([port],[table]): port 0xfff8 (IN_PORT) = unchanged, table 255 = current table. */
  | { type: 'resubmit'; inPort: number; table: number }
  | { type: 'goto_table'; table: number }
  /** set_queue:N (OVS: the skb priority that selects egress QoS queue N), pop_queue, and the
   *  OpenFlow 1.0 enqueue:PORT:QUEUE (output to PORT through queue QUEUE). */
  | { type: 'set_queue'; queue: number }
  | { type: 'pop_queue' }
  | { type: 'enqueue'; port: number; queue: number }
  | { type: 'note'; data: Buffer }
  /** Flow-based IPFIX sampling (NXAST_SAMPLE/SAMPLE2/SAMPLE3): `probability` out of 65535,
   *  exported to Flow_Sample_Collector_Set `collectorSetId`; `samplingPort` 0xffff (NONE) = not
   *  given. */
  | { type: 'sample'; probability: number; collectorSetId: number; obsDomainId: number; obsPointId: number; samplingPort: number; direction: SampleDirection };

/** NX_ACTION_SAMPLE_DEFAULT / INGRESS / EGRESS. */
export type SampleDirection = 'default' | 'ingress' | 'egress';
