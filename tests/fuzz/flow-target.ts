// Fuzz target: the OpenFlow flow-syntax parser (engine/pipeline/flow-syntax.ts). Inputs: the flow
// corpus with token- and character-level mutations, and flows assembled from random fields, values
// and actions. parseFlowMod / parseActions may only throw FlowSyntaxError (OVS_E_FLOW_SYNTAX); a
// parsed flow must format without throwing.
import fc from 'fast-check';
import type { Json } from '../../engine/ovsdb/api.js';
import { formatFlowMod, parseActions, parseFlowMod, type FlowModCommand } from '../../engine/pipeline/flow-syntax.js';
import { VALID_FLOWS, INVALID_FLOWS } from '../pipeline/flow-corpus.js';
import { expectTyped, FuzzFailure, type FuzzTarget } from './harness.js';

export interface FlowInput { text: string; command: FlowModCommand | 'auto'; actionsOnly: boolean }

const FIELDS = ['in_port', 'dl_src', 'dl_dst', 'dl_type', 'dl_vlan', 'dl_vlan_pcp', 'vlan_tci', 'nw_src', 'nw_dst', 'nw_proto',
  'nw_tos', 'nw_ttl', 'nw_ecn', 'ip_dscp', 'tp_src', 'tp_dst', 'tcp_flags', 'icmp_type', 'icmp_code', 'arp_op', 'arp_spa',
  'arp_tpa', 'arp_sha', 'arp_tha', 'ipv6_src', 'ipv6_dst', 'ipv6_label', 'nd_target', 'metadata', 'reg0', 'reg7', 'tun_id',
  'cookie', 'table', 'priority', 'idle_timeout', 'hard_timeout', 'importance', 'out_port', 'pkt_mark', 'ct_state', 'mpls_label',
  'ip', 'tcp', 'udp', 'arp', 'icmp', 'ipv6', 'tcp6', 'sctp', 'send_flow_rem', 'check_overlap', 'nw_frag', 'eth_type'];
const VALUES = ['0', '1', '65535', '65536', '0x0', '0xffff', '0xffffffffffffffff', '0x10000000000000000', '-1', '1.2.3.4', '10.0.0.0/8',
  '300.1.1.1', '1.2.3.4/255.0.255.0', '00:11:22:33:44:55', 'ff:ff:ff:ff:ff:ff/01:00:00:00:00:00', '::1', 'fe80::1/64', 'LOCAL',
  'CONTROLLER', 'NONE', 'IN_PORT', '', 'abc', '1/1', '0x1/0xffff', '+trk', '+new-est', '99999999999999999999', '1e3', '07', '1/'];
const ACTIONS = ['drop', 'normal', 'NORMAL', 'flood', 'all', 'local', 'in_port', 'controller', 'controller:65535', 'output:1',
  'output:NXM_OF_IN_PORT[]', '2', 'mod_vlan_vid:5', 'mod_vlan_pcp:9', 'strip_vlan', 'push_vlan:0x8100', 'pop_vlan',
  'mod_dl_src:00:11:22:33:44:55', 'mod_nw_dst:1.2.3.4', 'mod_tp_dst:80', 'mod_nw_tos:3', 'dec_ttl', 'dec_ttl(1,2)',
  'set_field:1->reg0', 'set_field:10.0.0.1->ip_dst', 'load:1->NXM_NX_REG0[0..3]', 'load:0xffff->NXM_NX_REG0[30..31]',
  'move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]', 'resubmit(,1)', 'resubmit:2', 'resubmit(1,2,ct)', 'goto_table:3', 'group:1',
  'enqueue:1:2', 'note:00.11', 'learn(table=1)', 'ct(commit)', 'meter:1', 'clone(output:1)', 'mod_vlan_vid:4096', 'output:',
  'set_field:', 'load:', 'move:', 'resubmit(', 'clone(', '((((', '))'];
const SEPS = [',', ' ', ', ', '\t', ',,', ''];

const assembled: fc.Arbitrary<string> = fc.record({
  matches: fc.array(fc.tuple(fc.constantFrom(...FIELDS), fc.option(fc.constantFrom(...VALUES), { freq: 4 }), fc.constantFrom(...SEPS)), { maxLength: 6 }),
  acts: fc.array(fc.constantFrom(...ACTIONS), { maxLength: 5 }),
  actKey: fc.constantFrom('actions=', 'action=', 'actions:', 'actions', 'actions =', ''),
}).map(({ matches, acts, actKey }) => matches.map(([f, v, s]) => (v === null ? f : `${f}=${v}`) + s).join('') + actKey + acts.join(','));

const charMutation = fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'dup', 'replace'),
  fc.constantFrom(...',=:/()[]{}.-+>x0 \t\n\\"\'\u0000é'.split('')));
const corpus = [...VALID_FLOWS, ...INVALID_FLOWS];
const mutated: fc.Arbitrary<string> = fc.record({ i: fc.nat(), muts: fc.array(charMutation, { minLength: 1, maxLength: 4 }) })
  .map(({ i, muts }) => {
    let s = corpus[i % corpus.length]!;
    for (const [pos, kind, ch] of muts) {
      const p = s.length ? pos % (s.length + 1) : 0;
      if (kind === 'insert') s = s.slice(0, p) + ch + s.slice(p);
      else if (kind === 'delete') s = s.slice(0, p) + s.slice(p + 1);
      else if (kind === 'dup') s = s.slice(0, p) + s.slice(p, p + 12) + s.slice(p);
      else s = s.slice(0, p) + ch + s.slice(p + 1);
    }
    return s;
  });

export const flowTarget: FuzzTarget<FlowInput> = {
  name: 'flow-syntax',
  arbitrary: () => fc.record({
    text: fc.oneof({ arbitrary: mutated, weight: 3 }, { arbitrary: assembled, weight: 3 }, { arbitrary: fc.string({ maxLength: 60 }), weight: 1 }),
    command: fc.constantFrom<FlowModCommand | 'auto'>('add', 'modify', 'modify_strict', 'delete', 'delete_strict', 'auto'),
    actionsOnly: fc.boolean(),
  }),
  check(input) {
    if (input.actionsOnly) {
      const i = input.text.indexOf('=');
      try { parseActions(input.text.slice(i + 1)); } catch (e) { expectTyped(e, 'parseActions', ['OVS_E_FLOW_SYNTAX']); }
      return;
    }
    let fm;
    try {
      fm = parseFlowMod(input.text, input.command);
    } catch (e) {
      expectTyped(e, 'parseFlowMod', ['OVS_E_FLOW_SYNTAX']);
      return;
    }
    try {
      formatFlowMod(fm);
    } catch (e) {
      throw new FuzzFailure(`formatFlowMod threw on a flow parseFlowMod accepted (${JSON.stringify(input.text)})`, e);
    }
  },
  toJson: (i) => ({ text: i.text, command: i.command, actionsOnly: i.actionsOnly }),
  fromJson: (j) => j as unknown as FlowInput,
};

export type { Json };
