// ovs-ofctl flow syntax: parse `add-flow`/`mod-flows`/`del-flows` text into a FlowMod and print
// matches, actions, flow mods and flow stats the way OVS 3.1's ovs-ofctl does over OpenFlow 1.0
// with Nicira extensions (its default protocol): field order, `ip,nw_src=10.0.0.0/24`
// normalisation, set_field printed as load/mod_* and goto_table as resubmit(,T).
import { OvsError } from '../util/errors.js';
import {
  F, FieldId, OFPP, ETH_TYPE, IPPROTO, VLAN_CFI, VLAN_VID_MASK, VLAN_PCP_MASK, IP_DSCP_MASK, IP_ECN_MASK,
  parsePort, formatPort, bigToMac, bigToIp, cidrBits, prefixMask, fieldMax,
} from './fields.js';
import { Match, MetaField, catchAll, metaFieldByName, metaFieldByNxm, normalizeMatch, prereqMet } from './match.js';
import type { OfAction, Subfield } from './actions.js';

/** A flow text OVS would reject; `message` is OVS's own wording (naming the bad token). */
export class FlowSyntaxError extends OvsError {
  constructor(message: string) { super('OVS_E_FLOW_SYNTAX', message); }
}

export type FlowModCommand = 'add' | 'modify' | 'modify_strict' | 'delete' | 'delete_strict';

export interface FlowModFlags {
  sendFlowRem?: boolean; checkOverlap?: boolean; resetCounts?: boolean; noPacketCounts?: boolean; noByteCounts?: boolean;
}

export interface FlowMod {
  command: FlowModCommand;
  /** 255 = not given (all tables for delete/modify, table 0 for add). */
  table: number;
  priority: number;
  /** Cookie to set (add; modify when given). */
  newCookie?: bigint;
  /** Cookie selection for modify/delete (`cookie=V/M`). */
  cookie: bigint;
  cookieMask: bigint;
  idleTimeout: number;
  hardTimeout: number;
  importance: number;
  flags: FlowModFlags;
  outPort: number;
  match: Match;
  actions: OfAction[];
}

export const DEFAULT_PRIORITY = 32768;

// ---------------------------------------------------------------------------------- tokenizer

interface KeyValue { key: string; value: string }

/** OVS's ofputil_parse_key_value: `key`, `key=value`, `key:value` or `key(value)`, separated by
 *  commas or white space; values may nest parentheses. */
function* keyValues(s: string): Generator<KeyValue> {
  let pos = 0;
  const n = s.length;
  const isSep = (c: string) => c === ',' || c === ' ' || c === '\t' || c === '\r' || c === '\n';
  for (;;) {
    while (pos < n && isSep(s[pos]!)) pos++;
    if (pos >= n) return;
    let kEnd = pos;
    while (kEnd < n && !':=(, \t\r\n'.includes(s[kEnd]!)) kEnd++;
    const key = s.slice(pos, kEnd);
    const delim = kEnd < n ? s[kEnd]! : '';
    pos = kEnd + (delim ? 1 : 0);
    let delims: string;
    if (delim === ':' || delim === '=') delims = ', \t\r\n';
    else if (delim === '(') delims = ')';
    else { yield { key, value: '' }; continue; }
    const start = pos;
    let end = valueEnd(s, start, delims);
    if (delim === '(' && s[end] === ')' && s[end + 1] === '-' && s[end + 2] === '>') end = valueEnd(s, end, ', \t\r\n');
    const value = s.slice(start, end);
    pos = end + (end < n ? 1 : 0);
    yield { key, value };
  }
}

function valueEnd(s: string, from: number, delims: string): number {
  let i = from;
  while (i < s.length && !delims.includes(s[i]!)) {
    if (s[i] === '(') {
      let level = 0;
      do {
        if (i >= s.length) return i;
        if (s[i] === '(') level++;
        else if (s[i] === ')') level--;
        i++;
      } while (level > 0);
    } else i++;
  }
  return i;
}

// ---------------------------------------------------------------------------------- numbers

/** strtol(base 0)-like: returns undefined unless the whole string is one integer. */
function strToInt(s: string): number | undefined {
  const t = s.trim();
  let m: RegExpExecArray | null;
  let v: number;
  if ((m = /^([+-]?)0[xX]([0-9a-fA-F]+)$/.exec(t))) v = parseInt(m[2]!, 16) * (m[1] === '-' ? -1 : 1);
  else if ((m = /^([+-]?)0([0-7]+)$/.exec(t))) v = parseInt(m[2]!, 8) * (m[1] === '-' ? -1 : 1);
  else if (/^[+-]?[0-9]+$/.test(t)) v = parseInt(t, 10);
  else return undefined;
  return v;
}
function strToU16(s: string, name: string): number {
  const v = strToInt(s);
  if (v === undefined || v < 0 || v > 65535) throw new FlowSyntaxError(`invalid ${name} "${s}"`);
  return v;
}
function strToU8(s: string, name: string): number {
  const v = strToInt(s);
  if (v === undefined || v < 0 || v > 255) throw new FlowSyntaxError(`invalid ${name} "${s}"`);
  return v;
}
function strToU64(s: string): bigint {
  if (s === '') throw new FlowSyntaxError('missing required numeric argument');
  let v: bigint | undefined;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) v = BigInt(s);
  else if (/^0[0-7]*$/.test(s)) v = BigInt('0o' + (s.slice(1) || '0'));
  else if (/^[0-9]+$/.test(s)) v = BigInt(s);
  if (v === undefined || v > 0xffffffffffffffffn) throw new FlowSyntaxError(`invalid numeric format ${s}`);
  return v;
}
function parseTable(s: string): number | undefined {
  if (s.startsWith('-') || !/^\+?[0-9]+$/.test(s)) return undefined;
  const t = Number(s);
  return t > 255 ? undefined : t;
}

/** OVS parse_int_string for an `bytes`-wide field: a prefix integer (hex with 0x, else strtoull). */
function parseIntPrefix(s: string, bytes: number): { value: bigint; rest: string } | 'EINVAL' | 'ERANGE' {
  const max = (1n << BigInt(bytes * 8)) - 1n;
  let m: RegExpExecArray | null;
  if ((m = /^0[xX]([0-9a-fA-F]*)/.exec(s))) {
    if (m[1] === '') return 'EINVAL';
    const v = BigInt('0x' + m[1]);
    if (v > max) return 'ERANGE';
    return { value: v, rest: s.slice(m[0].length) };
  }
  if ((m = /^\s*\+?(0[0-7]*|[1-9][0-9]*)/.exec(s))) {
    const digits = m[1]!;
    const v = digits.length > 1 && digits.startsWith('0') ? BigInt('0o' + digits.slice(1)) : BigInt(digits);
    if (v > 0xffffffffffffffffn || v > max) return 'ERANGE';
    return { value: v, rest: s.slice(m[0].length) };
  }
  return 'EINVAL';
}

// ---------------------------------------------------------------------------------- field values

/** OVS's mf_parse: a value and mask in the field's own space, or an OVS-worded error. */
export function parseFieldValue(mf: MetaField, s: string): { value: bigint; mask: bigint } {
  const full = (1n << BigInt(mf.bits)) - 1n;
  if (s === '*') return { value: 0n, mask: 0n };
  let value: bigint, mask: bigint;
  switch (mf.syntax) {
    case 'dec': case 'hex': {
      const bytes = Math.ceil(mf.bits / 8);
      let r = parseIntPrefix(s, bytes);
      let what = 'value';
      if (typeof r !== 'string' && r.rest !== '' && !r.rest.startsWith('/')) r = 'EINVAL';
      if (typeof r !== 'string') {
        value = r.value;
        if (r.rest.startsWith('/')) {
          what = 'mask';
          const mr = parseIntPrefix(r.rest.slice(1), bytes);
          if (typeof mr === 'string' || mr.rest !== '') { r = typeof mr === 'string' ? mr : 'EINVAL'; }
          else { mask = mr.value; break; }
        } else { mask = (1n << BigInt(bytes * 8)) - 1n; break; }
      }
      if (r === 'ERANGE') throw new FlowSyntaxError(`${s}: ${what} too large for ${bytes}-byte field ${mf.name}`);
      throw new FlowSyntaxError(`${s}: bad syntax for ${mf.name} ${what}`);
    }
    case 'eth': {
      const hx = '([0-9a-fA-F]{1,2})';
      const one = `${hx}:${hx}:${hx}:${hx}:${hx}:${hx}`;
      const mm = new RegExp(`^${one}(?:/${one})?$`).exec(s);
      if (!mm) throw new FlowSyntaxError(`${s}: invalid Ethernet address`);
      const bytesToBig = (from: number) => {
        let v = 0n;
        for (let i = 0; i < 6; i++) v = (v << 8n) | BigInt(parseInt(mm[from + i]!, 16));
        return v;
      };
      value = bytesToBig(1);
      mask = mm[7] !== undefined ? bytesToBig(7) : full;
      break;
    }
    case 'ipv4': {
      const ipRe = '(\\d+)\\.(\\d+)\\.(\\d+)\\.(\\d+)';
      const toBig = (mm: RegExpExecArray, from: number) => {
        let v = 0n;
        for (let i = 0; i < 4; i++) v = (v << 8n) | BigInt(Number(mm[from + i]!) & 0xff);  // %hhu wraps
        return v;
      };
      let mm: RegExpExecArray | null;
      if ((mm = new RegExp(`^${ipRe}/${ipRe}$`).exec(s))) { value = toBig(mm, 1); mask = toBig(mm, 5); }
      else if ((mm = new RegExp(`^${ipRe}/(-?\\d+)$`).exec(s))) {
        const p = Number(mm[5]);
        if (p < 0 || p > 32) throw new FlowSyntaxError(`${s}: IPv4 network prefix bits not between 0 and 32, inclusive`);
        value = toBig(mm, 1); mask = prefixMask(p, 32);
      } else if ((mm = new RegExp(`^${ipRe}$`).exec(s))) { value = toBig(mm, 1); mask = full; }
      else throw new FlowSyntaxError(`${s}: invalid IP address`);
      break;
    }
    case 'port': {
      const p = parsePort(s);
      if (p === undefined) throw new FlowSyntaxError(`${s}: invalid or unknown port for ${mf.name}`);
      value = BigInt(p); mask = full;
      break;
    }
  }
  const bytesFull = (1n << BigInt(Math.ceil(mf.bits / 8) * 8)) - 1n;
  if (!mf.maskable && mask !== 0n && mask !== bytesFull && mask !== full) {
    throw new FlowSyntaxError(`${s}: invalid mask for field ${mf.name}`);
  }
  return { value, mask: mask & bytesFull };
}

// ---------------------------------------------------------------------------------- flow mods

const PROTOCOLS: ReadonlyMap<string, [number, number]> = new Map([
  ['ip', [ETH_TYPE.IP, 0]], ['ipv6', [ETH_TYPE.IPV6, 0]], ['icmp', [ETH_TYPE.IP, IPPROTO.ICMP]],
  ['icmp6', [ETH_TYPE.IPV6, IPPROTO.ICMPV6]], ['tcp', [ETH_TYPE.IP, IPPROTO.TCP]], ['tcp6', [ETH_TYPE.IPV6, IPPROTO.TCP]],
  ['udp', [ETH_TYPE.IP, IPPROTO.UDP]], ['udp6', [ETH_TYPE.IPV6, IPPROTO.UDP]], ['sctp', [ETH_TYPE.IP, IPPROTO.SCTP]],
  ['sctp6', [ETH_TYPE.IPV6, IPPROTO.SCTP]], ['arp', [ETH_TYPE.ARP, 0]], ['rarp', [ETH_TYPE.RARP, 0]],
  ['mpls', [ETH_TYPE.MPLS, 0]], ['mplsm', [ETH_TYPE.MPLS_MCAST, 0]],
]);

/**
 * Parses one flow in ovs-ofctl syntax for `command` (add-flow = 'add', mod-flows = 'modify',
 * del-flows = 'delete', with --strict the *_strict forms). With `command` 'auto' the text may
 * start with add/modify/delete/modify_strict/delete_strict as in `add-flows` files.
 */
export function parseFlowMod(text: string, command: FlowModCommand | 'auto' = 'add'): FlowMod {
  let s = text;
  if (command === 'auto') {
    const t = s.replace(/^[ \t\r\n]+/, '');
    const m = /^[^, \t\r\n]*/.exec(t)![0];
    const cmds: FlowModCommand[] = ['add', 'delete', 'delete_strict', 'modify', 'modify_strict'];
    // OVS compares the first token as a prefix of each name in this order ("del" = delete).
    const hit = m.length > 0 ? cmds.find((c) => c.startsWith(m)) : undefined;
    command = hit ?? 'add';
    s = hit ? t.slice(m.length) : t;
  }
  const cmd: FlowModCommand = command;
  const hasActions = cmd === 'add' || cmd === 'modify' || cmd === 'modify_strict';
  const allowPriority = cmd !== 'delete';
  const allowOutPort = cmd === 'delete' || cmd === 'delete_strict';
  const fm: FlowMod = {
    command: cmd, table: 255, priority: DEFAULT_PRIORITY, cookie: 0n, cookieMask: 0n, idleTimeout: 0, hardTimeout: 0,
    importance: 0, flags: {}, outPort: OFPP.NONE, match: catchAll(), actions: [],
  };
  let actStr: string | undefined;
  if (hasActions) {
    const i = s.indexOf('action');
    if (i < 0) throw new FlowSyntaxError('must specify an action');
    const eq = s.indexOf('=', i + 1);
    if (eq < 0) throw new FlowSyntaxError('must specify an action');
    actStr = s.slice(eq + 1);
    s = s.slice(0, i);
  }
  const match = fm.match;
  for (const { key, value } of keyValues(s)) {
    const proto = PROTOCOLS.get(key);
    let mf: MetaField | undefined;
    if (proto) {
      match.value[F.dl_type] = BigInt(proto[0]); match.mask[F.dl_type] = 0xffffn;
      if (proto[1]) { match.value[F.nw_proto] = BigInt(proto[1]); match.mask[F.nw_proto] = 0xffn; }
    } else if (hasActions && key === 'send_flow_rem') fm.flags.sendFlowRem = true;
    else if (hasActions && key === 'check_overlap') fm.flags.checkOverlap = true;
    else if (hasActions && key === 'reset_counts') fm.flags.resetCounts = true;
    else if (hasActions && key === 'no_packet_counts') fm.flags.noPacketCounts = true;
    else if (hasActions && key === 'no_byte_counts') fm.flags.noByteCounts = true;
    else if (key === 'no_readonly_table' || key === 'allow_hidden_fields') { /* ignored, as OVS */ }
    else if ((mf = metaFieldByName(key)) !== undefined) {
      const { value: v, mask: k } = parseFieldValue(mf, value === '' ? '0/0' : value);
      mf.apply(match, v, k);
    } else {
      if (value === '') throw new FlowSyntaxError(`field ${key} missing value`);
      if (key === 'table') {
        const t = parseTable(value);
        if (t === undefined) throw new FlowSyntaxError(`unknown table "${value}"`);
        fm.table = t;
      } else if (allowOutPort && key === 'out_port') {
        const p = parsePort(value);
        if (p === undefined) throw new FlowSyntaxError(`${value} is not a valid OpenFlow port`);
        fm.outPort = p;
      } else if (allowPriority && key === 'priority') fm.priority = strToU16(value, key);
      else if (hasActions && key === 'idle_timeout') fm.idleTimeout = strToU16(value, key);
      else if (hasActions && key === 'hard_timeout') fm.hardTimeout = strToU16(value, key);
      else if (cmd === 'add' && key === 'importance') fm.importance = strToU16(value, key);
      else if (key === 'cookie') {
        const slash = value.indexOf('/');
        if (slash >= 0) {
          if (cmd === 'add') throw new FlowSyntaxError('flow additions cannot use a cookie mask');
          fm.cookie = strToU64(value.slice(0, slash));
          fm.cookieMask = strToU64(value.slice(slash + 1));
        } else {
          if (!hasActions) throw new FlowSyntaxError(`cannot set cookie (to match on a cookie, specify a mask, e.g. cookie=${value}/-1)`);
          fm.newCookie = strToU64(value);
        }
      } else if (['duration', 'n_packets', 'n_bytes', 'idle_age', 'hard_age'].includes(key)) { /* dump-flows output fed back */ }
      else throw new FlowSyntaxError(`unknown keyword ${key}`);
    }
  }
  fm.match.value.forEach((v, i) => { fm.match.value[i] = v & fm.match.mask[i]!; });
  normalizeMatch(fm.match);
  if (actStr !== undefined) {
    fm.actions = parseActions(actStr);
    checkActions(fm.actions, fm.match, fm.table);
  }
  if (cmd === 'add' && fm.newCookie === undefined) fm.newCookie = 0n;
  return fm;
}

// ---------------------------------------------------------------------------------- actions

function parseSubfield(s: string): Subfield {
  const m = /^([A-Za-z0-9_]+)(\[(.*)\])?$/.exec(s);
  const name = m ? m[1]! : (/^[A-Za-z0-9_]*/.exec(s)![0]);
  const mf = metaFieldByNxm(name);
  if (!m || !mf) throw new FlowSyntaxError(`${s}: unknown field \`${name}'`);
  const width = mf.bits;
  if (m[2] === undefined || m[3] === '') return { mf, ofs: 0, nbits: width };
  const r = /^(\d+)(?:\.\.(\d+))?$/.exec(m[3]!);
  if (!r) throw new FlowSyntaxError(`${s}: syntax error expecting [] or [<bit>] or [<start>..<end>]`);
  const start = Number(r[1]), end = r[2] === undefined ? start : Number(r[2]);
  if (start > end) throw new FlowSyntaxError(`${s}: starting bit ${start} is after ending bit ${end}`);
  if (start >= width) throw new FlowSyntaxError(`${s}: starting bit ${start} is not valid because field is only ${width} bits wide`);
  if (end >= width) throw new FlowSyntaxError(`${s}: ending bit ${end} is not valid because field is only ${width} bits wide`);
  return { mf, ofs: start, nbits: end - start + 1 };
}

function splitArrow(arg: string): [string, string] {
  const i = arg.indexOf('->');
  if (i < 0) throw new FlowSyntaxError(`${arg}: missing \`->'`);
  if (arg.length - i <= 2) throw new FlowSyntaxError(`${arg}: missing field name following \`->'`);
  return [arg.slice(0, i), arg.slice(i + 2)];
}

function parseIpArg(s: string): bigint {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (!m || [1, 2, 3, 4].some((i) => Number(m[i]) > 255)) throw new FlowSyntaxError(`${s}: could not convert to IP address`);
  return (BigInt(m[1]!) << 24n) | (BigInt(m[2]!) << 16n) | (BigInt(m[3]!) << 8n) | BigInt(m[4]!);
}
function parseMacArg(s: string): bigint {
  const m = /^([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})/.exec(s);
  if (!m) throw new FlowSyntaxError(`invalid mac address ${s}`);
  let v = 0n;
  for (let i = 1; i <= 6; i++) v = (v << 8n) | BigInt(parseInt(m[i]!, 16));
  return v;
}

function setField(name: string, value: bigint, mask?: bigint): OfAction {
  const mf = metaFieldByName(name)!;
  return { type: 'set_field', mf, value, mask: mask ?? (1n << BigInt(mf.bits)) - 1n, via: 'mod' };
}

const UNSUPPORTED = new Set(['group', 'output_reg', 'bundle', 'bundle_load', 'mod_nw_ecn', 'mod_nw_ttl', 'set_nw_ttl',
  'dec_ttl', 'set_mpls_label', 'set_mpls_tc', 'set_mpls_ttl',
  'dec_mpls_ttl', 'push_mpls', 'pop_mpls', 'dec_nsh_ttl', 'push_nsh', 'pop_nsh', 'stack_push', 'stack_pop', 'learn',
  'conjunction', 'multipath', 'exit', 'fin_timeout', 'clone', 'ct', 'ct_clear', 'nat', 'check_pkt_larger',
  'debug_recirc', 'debug_slow', 'encap', 'decap', 'meter', 'clear_actions', 'write_actions', 'write_metadata',
  'unroll_xlate', 'delete_field', 'output_trunc']);

/** Parses an `actions=` list (instructions allowed: goto_table must come last). */
export function parseActions(str: string): OfAction[] {
  const out: OfAction[] = [];
  let drop = false;
  for (const { key, value } of keyValues(str)) {
    const k = key.toLowerCase();
    switch (k) {
      case 'output': {
        const p = parsePort(value);
        if (p !== undefined) { out.push({ type: 'output', port: p, maxLen: p === OFPP.CONTROLLER ? 65535 : 0 }); break; }
        try { parseSubfield(value); } catch { throw new FlowSyntaxError(`${value}: output to unknown port`); }
        throw new FlowSyntaxError(`output to a field (${value}) is not supported`);
      }
      case 'controller': {
        let maxLen = 65535;
        if (value === '') { /* defaults */ }
        else if (/^[0-9]+$/.test(value)) maxLen = strToU16(value, 'max_len');
        else {
          for (const kv of keyValues(value)) {
            if (kv.key === 'max_len') maxLen = strToU16(kv.value, 'max_len');
            else if (['reason', 'id', 'userdata', 'pause', 'meter_id'].includes(kv.key)) {
              throw new FlowSyntaxError(`controller option "${kv.key}" is not supported`);
            } else throw new FlowSyntaxError(`unknown key "${kv.key}" parsing controller action`);
          }
        }
        out.push({ type: 'output', port: OFPP.CONTROLLER, maxLen });
        break;
      }
      case 'set_vlan_vid': case 'mod_vlan_vid': {
        const vid = strToU16(value, 'VLAN VID');
        if (vid & ~VLAN_VID_MASK) throw new FlowSyntaxError(`${value}: not a valid VLAN VID`);
        out.push({ type: 'set_vlan_vid', vid, push: k === 'mod_vlan_vid' });
        break;
      }
      case 'set_vlan_pcp': case 'mod_vlan_pcp': {
        const pcp = strToU8(value, 'VLAN PCP');
        if (pcp & ~7) throw new FlowSyntaxError(`${value}: not a valid VLAN PCP`);
        out.push({ type: 'set_vlan_pcp', pcp, push: k === 'mod_vlan_pcp' });
        break;
      }
      case 'strip_vlan': case 'pop_vlan': out.push({ type: 'strip_vlan' }); break;
      case 'set_queue': {
        if (!/^\s*\d+\s*$/.test(value)) throw new FlowSyntaxError(`${value}: invalid queue id for set_queue (expected a number 0-4294967295)`);
        const queue = Number(value);
        if (queue > 0xffffffff) throw new FlowSyntaxError(`${value}: invalid queue id for set_queue (expected a number 0-4294967295)`);
        out.push({ type: 'set_queue', queue });
        break;
      }
      case 'pop_queue': out.push({ type: 'pop_queue' }); break;
      case 'enqueue': {
        // enqueue:PORT:QUEUE or enqueue(PORT,QUEUE)
        const parts = value.split(/[:,]/);
        const port = parts.length === 2 ? parsePort(parts[0]!.trim()) : undefined;
        const q = parts.length === 2 && /^\s*\d+\s*$/.test(parts[1]!) ? Number(parts[1]) : NaN;
        if (port === undefined || !(q >= 0 && q <= 0xffffffff)) throw new FlowSyntaxError(`${value}: enqueue needs PORT:QUEUE (e.g. enqueue:1:2)`);
        out.push({ type: 'enqueue', port, queue: q });
        break;
      }
      case 'push_vlan': {
        const tpid = strToU16(value, 'ethertype');
        if (tpid !== ETH_TYPE.VLAN && tpid !== ETH_TYPE.VLAN_8021AD) throw new FlowSyntaxError(`${value}: not a valid VLAN ethertype`);
        out.push({ type: 'push_vlan', tpid });
        break;
      }
      case 'mod_dl_src': case 'mod_dl_dst': out.push(setField(k === 'mod_dl_src' ? 'eth_src' : 'eth_dst', parseMacArg(value))); break;
      case 'mod_nw_src': case 'mod_nw_dst': out.push(setField(k === 'mod_nw_src' ? 'ip_src' : 'ip_dst', parseIpArg(value))); break;
      case 'mod_nw_tos': {
        const tos = strToU8(value, 'TOS');
        if (tos & ~IP_DSCP_MASK) throw new FlowSyntaxError(`${value}: not a valid TOS`);
        out.push(setField('nw_tos', BigInt(tos), BigInt(IP_DSCP_MASK)));
        break;
      }
      case 'set_tunnel': case 'set_tunnel64': {
        const id = strToU64(value);
        if (k === 'set_tunnel' && id > 0xffffffffn) throw new FlowSyntaxError(`${value}: tunnel ID ${id} does not fit in 32 bits (use set_tunnel64)`);
        out.push({ type: 'set_field', mf: metaFieldByName('tun_id')!, value: id, mask: 0xffffffffffffffffn, via: k });
        break;
      }
      case 'mod_tp_src': out.push(setField('tcp_src', BigInt(strToU16(value, 'source port')))); break;
      case 'mod_tp_dst': out.push(setField('tcp_dst', BigInt(strToU16(value, 'destination port')))); break;
      case 'set_field': {
        const [v, name] = splitArrow(value);
        const mf = metaFieldByName(name);
        if (!mf) throw new FlowSyntaxError(`${name} is not a valid OXM field name`);
        if (!mf.writable) throw new FlowSyntaxError(`${name} is read-only`);
        const pv = parseFieldValue(mf, v);
        out.push({ type: 'set_field', mf, value: pv.value & pv.mask, mask: pv.mask, via: 'set_field' });
        break;
      }
      case 'load': {
        const [v, dst] = splitArrow(value);
        const sf = parseSubfield(dst);
        const r = parseIntPrefix(v, Math.ceil(sf.mf.bits / 8));
        if (typeof r === 'string' || r.rest !== '') throw new FlowSyntaxError(`${value}: cannot parse integer value`);
        if (r.value >> BigInt(sf.nbits) !== 0n) {
          throw new FlowSyntaxError(`${value}: value ${formatLoadValue(sf.mf, r.value)} does not fit into ${sf.nbits} bits`);
        }
        const mask = ((1n << BigInt(sf.nbits)) - 1n) << BigInt(sf.ofs);
        out.push({ type: 'set_field', mf: sf.mf, value: r.value << BigInt(sf.ofs), mask, via: 'load' });
        break;
      }
      case 'move': {
        const [a, b] = splitArrow(value);
        const src = parseSubfield(a), dst = parseSubfield(b);
        if (src.nbits !== dst.nbits) {
          throw new FlowSyntaxError(`${value}: source field is ${src.nbits} bits wide but destination is ${dst.nbits} bits wide`);
        }
        out.push({ type: 'move', src, dst });
        break;
      }
      case 'resubmit': {
        const parts = value.split(',');
        let inPort: number = OFPP.IN_PORT, table = 255;
        if (parts[0]) {
          const p = parsePort(parts[0]);
          if (p === undefined) throw new FlowSyntaxError(`${parts[0]}: resubmit to unknown port`);
          inPort = p;
        }
        if (parts.length > 1 && parts[1]) {
          const t = parseTable(parts[1]);
          if (t === undefined) throw new FlowSyntaxError(`${parts[1]}: resubmit to unknown table`);
          table = t;
        }
        if (parts.length > 2 && parts[2]) {
          if (parts[2] !== 'ct') throw new FlowSyntaxError(`${parts[2]}: unknown parameter`);
          throw new FlowSyntaxError('resubmit with ct is not supported');
        }
        if (inPort === OFPP.IN_PORT && table === 255) {
          throw new FlowSyntaxError('at least one "in_port" or "table" must be specified on resubmit');
        }
        out.push({ type: 'resubmit', inPort, table });
        break;
      }
      case 'goto_table': {
        const t = parseTable(value);
        if (t === undefined) throw new FlowSyntaxError(`unknown table "${value}"`);
        out.push({ type: 'goto_table', table: t });
        break;
      }
      case 'note': {
        const hex = value.replace(/[.\s]/g, '');
        // OVS reads pairs of hex digits, allowing '.' between bytes.
        if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new FlowSyntaxError("bad hex digit in `note' argument");
        out.push({ type: 'note', data: Buffer.from(hex, 'hex') });
        break;
      }
      case 'sample': out.push(parseSample(value)); break;
      case 'drop': drop = true; break;
      case 'apply_actions': throw new FlowSyntaxError('apply_actions is the default instruction');
      default: {
        if (UNSUPPORTED.has(k)) throw new FlowSyntaxError(`action ${key} is not supported by this switch`);
        const p = parsePort(key);
        if (p === undefined) throw new FlowSyntaxError(`unknown action ${key}`);
        out.push({ type: 'output', port: p, maxLen: p === OFPP.CONTROLLER ? 65535 : 0 });
      }
    }
  }
  if (drop && out.length) throw new FlowSyntaxError('"drop" must not be accompanied by any other action or instruction');
  const gi = out.findIndex((a) => a.type === 'goto_table');
  if (gi >= 0 && gi !== out.length - 1) {
    const after = out.slice(gi + 1).some((a) => a.type === 'goto_table');
    throw new FlowSyntaxError(after ? 'duplicate goto_table instruction not allowed, for OpenFlow 1.1+ compatibility'
      : 'invalid instruction ordering: apply_actions must appear before goto_table, for OpenFlow 1.1+ compatibility');
  }
  return out;
}

/** C's strtoul(base 0) stored in a uint32_t, as OVS's str_to_u32: negative values and values
 *  beyond 32 bits wrap (modulo 2^64, then 2^32); only text that is not one number fails. */
function strToU32Wrapping(s: string): number {
  if (s === '') throw new FlowSyntaxError('missing required numeric argument');
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) throw new FlowSyntaxError(`invalid numeric format ${s}`);
  const digits = m[2]!;
  const v = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits.startsWith('0') ? BigInt('0o' + digits.slice(1)) : BigInt(digits);
  if (v > 0xffffffffffffffffn) throw new FlowSyntaxError(`invalid numeric format ${s}`);
  const u64 = m[1] === '-' ? (0x10000000000000000n - v) & 0xffffffffffffffffn : v;
  return Number(u64 & 0xffffffffn);
}

/** OVS's parse_SAMPLE: `sample(probability=N,collector_set_id=C,obs_domain_id=D,obs_point_id=P
 *  [,sampling_port=PORT][,ingress|egress])`; the last of ingress/egress wins. */
function parseSample(arg: string): OfAction {
  const a: Extract<OfAction, { type: 'sample' }> = {
    type: 'sample', probability: 0, collectorSetId: 0, obsDomainId: 0, obsPointId: 0, samplingPort: OFPP.NONE, direction: 'default',
  };
  for (const { key, value } of keyValues(arg)) {
    switch (key) {
      case 'probability':
        a.probability = strToU16(value, 'probability');
        if (a.probability === 0) throw new FlowSyntaxError(`invalid probability value "${value}"`);
        break;
      case 'collector_set_id': a.collectorSetId = strToU32Wrapping(value); break;
      case 'obs_domain_id': a.obsDomainId = strToU32Wrapping(value); break;
      case 'obs_point_id': a.obsPointId = strToU32Wrapping(value); break;
      case 'sampling_port': {
        const p = parsePort(value);
        if (p === undefined) throw new FlowSyntaxError(`${value}: unknown port`);
        a.samplingPort = p;
        break;
      }
      case 'ingress': a.direction = 'ingress'; break;
      case 'egress': a.direction = 'egress'; break;
      default: throw new FlowSyntaxError(`invalid key "${key}" in "sample" argument`);
    }
  }
  if (a.probability === 0) throw new FlowSyntaxError('non-zero "probability" must be specified on sample');
  return a;
}

/** ofpacts_check: actions must be consistent with the match they run under (OVS rejects
 *  mod_nw_src on a non-IP flow, output to a port out of range, goto_table backwards). */
function checkActions(actions: OfAction[], match: Match, table: number): void {
  const inconsistent = () => new FlowSyntaxError('actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)');
  for (const a of actions) {
    switch (a.type) {
      case 'output':
        if (a.port >= OFPP.MAX && ![OFPP.IN_PORT, OFPP.TABLE, OFPP.NORMAL, OFPP.FLOOD, OFPP.ALL, OFPP.CONTROLLER, OFPP.LOCAL]
          .includes(a.port as 0xfff8)) {
          throw new FlowSyntaxError('actions are invalid with specified match (OFPBAC_BAD_OUT_PORT)');
        }
        break;
      case 'set_field': {
        if (a.via !== 'mod' && !prereqMet(match, a.mf.prereq)) throw inconsistent();
        break;
      }
      case 'move':
        if (!prereqMet(match, a.src.mf.prereq) || !prereqMet(match, a.dst.mf.prereq)) throw inconsistent();
        break;
      case 'goto_table':
        if (table !== 255 && a.table <= table) throw new FlowSyntaxError('actions are invalid with specified match (OFPBIC_BAD_TABLE_ID)');
        break;
      default: break;
    }
  }
}

// ---------------------------------------------------------------------------------- formatting

function hex(v: bigint): string { return v === 0n ? '0' : '0x' + v.toString(16); }

/** OVS's match_format (priority included unless it is the default 32768). */
export function formatMatch(m: Match, priority = DEFAULT_PRIORITY): string {
  const out: string[] = [];
  const v = m.value, k = m.mask;
  if (priority !== DEFAULT_PRIORITY) out.push(`priority=${priority}`);
  let skipType = false, skipProto = false;
  const dt = Number(v[F.dl_type]);
  const proto = Number(v[F.nw_proto]);
  if (k[F.dl_type] !== 0n) {
    skipType = true;
    if (dt === ETH_TYPE.IP || dt === ETH_TYPE.IPV6) {
      const six = dt === ETH_TYPE.IPV6 ? '6' : '';
      if (k[F.nw_proto] !== 0n) {
        skipProto = true;
        const icmp = dt === ETH_TYPE.IP ? proto === IPPROTO.ICMP : proto === IPPROTO.ICMPV6;
        if (icmp) out.push(`icmp${six}`);
        else if (proto === IPPROTO.TCP) out.push(`tcp${six}`);
        else if (proto === IPPROTO.UDP) out.push(`udp${six}`);
        else if (proto === IPPROTO.SCTP) out.push(`sctp${six}`);
        else { out.push(six ? 'ipv6' : 'ip'); skipProto = false; }
      } else out.push(six ? 'ipv6' : 'ip');
    } else if (dt === ETH_TYPE.ARP) out.push('arp');
    else if (dt === ETH_TYPE.RARP) out.push('rarp');
    else if (dt === ETH_TYPE.MPLS) out.push('mpls');
    else if (dt === ETH_TYPE.MPLS_MCAST) out.push('mplsm');
    else skipType = false;
  }
  for (let i = 0; i < 16; i++) {
    const f = F.reg0 + i;
    if (k[f] !== 0n) out.push(`reg${i}=${hex(v[f]!)}${k[f] === 0xffffffffn ? '' : '/' + hex(k[f]!)}`);
  }
  if (k[F.tun_id] !== 0n) out.push(`tun_id=${hex(v[F.tun_id]!)}${k[F.tun_id] === fieldMax(F.tun_id) ? '' : '/' + hex(k[F.tun_id]!)}`);
  ipField(out, 'tun_src', v[F.tun_src]!, k[F.tun_src]!);
  ipField(out, 'tun_dst', v[F.tun_dst]!, k[F.tun_dst]!);
  if (k[F.metadata] !== 0n) out.push(`metadata=${hex(v[F.metadata]!)}${k[F.metadata] === fieldMax(F.metadata) ? '' : '/' + hex(k[F.metadata]!)}`);
  if (k[F.in_port] !== 0n) out.push(`in_port=${formatPort(Number(v[F.in_port]))}`);
  const tm = k[F.vlan_tci]!;
  if (tm !== 0n) {
    const tci = Number(v[F.vlan_tci]), mask = Number(tm);
    const vidMask = mask & VLAN_VID_MASK, pcpMask = mask & VLAN_PCP_MASK, cfi = mask & VLAN_CFI;
    if (cfi && (tci & VLAN_CFI) && (!vidMask || vidMask === VLAN_VID_MASK) && (!pcpMask || pcpMask === VLAN_PCP_MASK)
      && (vidMask || pcpMask)) {
      if (vidMask) out.push(`dl_vlan=${tci & VLAN_VID_MASK}`);
      if (pcpMask) out.push(`dl_vlan_pcp=${tci >> 13}`);
    } else if (mask === 0xffff) out.push(`vlan_tci=0x${tci.toString(16).padStart(4, '0')}`);
    else out.push(`vlan_tci=0x${tci.toString(16).padStart(4, '0')}/0x${mask.toString(16).padStart(4, '0')}`);
  }
  const eth = (name: string, f: FieldId) => {
    if (k[f] !== 0n) out.push(`${name}=${bigToMac(v[f]!)}${k[f] === 0xffffffffffffn ? '' : '/' + bigToMac(k[f]!)}`);
  };
  const ip = (name: string, f: FieldId) => {
    if (k[f] === 0n) return;
    let s = `${name}=${bigToIp(v[f]!)}`;
    if (k[f] !== 0xffffffffn) { const c = cidrBits(k[f]!, 32); s += c >= 0 ? `/${c}` : `/${bigToIp(k[f]!)}`; }
    out.push(s);
  };
  eth('dl_src', F.dl_src);
  eth('dl_dst', F.dl_dst);
  if (!skipType && k[F.dl_type] !== 0n) out.push(`dl_type=0x${dt.toString(16).padStart(4, '0')}`);
  const isArp = dt === ETH_TYPE.ARP || dt === ETH_TYPE.RARP;
  if (dt === ETH_TYPE.IPV6) { /* ipv6_src/dst are not modelled */ }
  else if (isArp) { ip('arp_spa', F.nw_src); ip('arp_tpa', F.nw_dst); }
  else { ip('nw_src', F.nw_src); ip('nw_dst', F.nw_dst); }
  if (!skipProto && k[F.nw_proto] !== 0n) out.push(`${isArp ? 'arp_op' : 'nw_proto'}=${proto}`);
  if (isArp) { eth('arp_sha', F.arp_sha); eth('arp_tha', F.arp_tha); }
  const tos = Number(v[F.nw_tos]), tosMask = Number(k[F.nw_tos]);
  if (tosMask & IP_DSCP_MASK) out.push(`nw_tos=${tos & IP_DSCP_MASK}`);
  if (tosMask & IP_ECN_MASK) out.push(`nw_ecn=${tos & IP_ECN_MASK}`);
  if (k[F.nw_ttl] !== 0n) out.push(`nw_ttl=${v[F.nw_ttl]}`);
  const be16 = (name: string, f: FieldId) => {
    if (k[f] === 0n) return;
    out.push(k[f] === 0xffffn ? `${name}=${v[f]}` : `${name}=0x${v[f]!.toString(16)}/0x${k[f]!.toString(16)}`);
  };
  if ((dt === ETH_TYPE.IP && proto === IPPROTO.ICMP) || (dt === ETH_TYPE.IPV6 && proto === IPPROTO.ICMPV6)) {
    be16('icmp_type', F.tp_src); be16('icmp_code', F.tp_dst);
  } else { be16('tp_src', F.tp_src); be16('tp_dst', F.tp_dst); }
  return out.join(',');
}

function ipField(out: string[], name: string, v: bigint, k: bigint): void {
  if (k === 0n) return;
  let s = `${name}=${bigToIp(v)}`;
  if (k !== 0xffffffffn) { const c = cidrBits(k, 32); s += c >= 0 ? `/${c}` : `/${bigToIp(k)}`; }
  out.push(s);
}

function formatLoadValue(mf: MetaField, v: bigint): string {
  if (mf.syntax === 'eth') return bigToMac(v);
  if (mf.syntax === 'ipv4') return bigToIp(v);
  return hex(v);
}

function subfieldText(mf: MetaField, ofs: number, nbits: number): string {
  if (ofs === 0 && nbits === mf.bits) return `${mf.nxm}[]`;
  return nbits === 1 ? `${mf.nxm}[${ofs}]` : `${mf.nxm}[${ofs}..${ofs + nbits - 1}]`;
}

/** Splits a mask into runs of contiguous one bits (OVS emits one load per run). */
function maskRuns(mask: bigint, bits: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let i = 0;
  while (i < bits) {
    if (((mask >> BigInt(i)) & 1n) === 0n) { i++; continue; }
    const start = i;
    while (i < bits && ((mask >> BigInt(i)) & 1n) === 1n) i++;
    runs.push([start, i - start]);
  }
  return runs;
}

function formatSetField(a: Extract<OfAction, { type: 'set_field' }>): string {
  const full = (1n << BigInt(a.mf.bits)) - 1n;
  const n = a.mf.name;
  if (a.via === 'set_tunnel' || a.via === 'set_tunnel64') {
    return `set_tunnel${a.via === 'set_tunnel64' || a.value > 0xffffffffn ? '64' : ''}:${hex(a.value)}`;
  }
  if (a.via !== 'load' && (a.mask === full || (n === 'nw_tos' && a.mask === BigInt(IP_DSCP_MASK)))) {
    switch (n) {
      case 'eth_src': return `mod_dl_src:${bigToMac(a.value)}`;
      case 'eth_dst': return `mod_dl_dst:${bigToMac(a.value)}`;
      case 'ip_src': return `mod_nw_src:${bigToIp(a.value)}`;
      case 'ip_dst': return `mod_nw_dst:${bigToIp(a.value)}`;
      case 'nw_tos': return `mod_nw_tos:${a.value & BigInt(IP_DSCP_MASK)}`;
      case 'ip_dscp': return `mod_nw_tos:${(a.value << 2n) & 0xfcn}`;
      case 'tcp_src': case 'udp_src': case 'sctp_src': return `mod_tp_src:${a.value}`;
      case 'tcp_dst': case 'udp_dst': case 'sctp_dst': return `mod_tp_dst:${a.value}`;
      case 'vlan_tci': {
        const tci = Number(a.value);
        return (tci & VLAN_CFI) ? `mod_vlan_vid:${tci & VLAN_VID_MASK},mod_vlan_pcp:${tci >> 13}` : 'strip_vlan';
      }
      case 'vlan_vid': case 'dl_vlan': return `mod_vlan_vid:${Number(a.value) & VLAN_VID_MASK}`;
      case 'vlan_pcp': case 'dl_vlan_pcp': return `mod_vlan_pcp:${a.value}`;
      default: break;
    }
  }
  return maskRuns(a.mask, a.mf.bits)
    .map(([ofs, nb]) => `load:${hex((a.value >> BigInt(ofs)) & ((1n << BigInt(nb)) - 1n))}->${subfieldText(a.mf, ofs, nb)}`)
    .join(',');
}

/** OVS's ofpacts_format over OpenFlow 1.0 + NXM (what `ovs-ofctl dump-flows` shows by default). */
export function formatActions(actions: readonly OfAction[]): string {
  if (actions.length === 0) return 'drop';
  return actions.map((a) => {
    switch (a.type) {
      case 'output':
        if (a.port === OFPP.CONTROLLER) return `CONTROLLER:${a.maxLen}`;
        return a.port < OFPP.MAX ? `output:${a.port}` : formatPort(a.port);
      case 'set_vlan_vid': return `mod_vlan_vid:${a.vid}`;
      case 'set_vlan_pcp': return `mod_vlan_pcp:${a.pcp}`;
      case 'strip_vlan': return 'strip_vlan';
      case 'push_vlan': return `push_vlan:0x${a.tpid.toString(16)}`;
      case 'set_field': return formatSetField(a);
      case 'move': return `move:${subfieldText(a.src.mf, a.src.ofs, a.src.nbits)}->${subfieldText(a.dst.mf, a.dst.ofs, a.dst.nbits)}`;
      case 'resubmit':
        if (a.inPort !== OFPP.IN_PORT && a.table === 255) return `resubmit:${formatPort(a.inPort)}`;
        return `resubmit(${a.inPort !== OFPP.IN_PORT ? formatPort(a.inPort) : ''},${a.table !== 255 ? a.table : ''})`;
      case 'goto_table': return `resubmit(,${a.table})`;
      case 'set_queue': return `set_queue:${a.queue}`;
      case 'pop_queue': return 'pop_queue';
      case 'enqueue': return `enqueue:${formatPort(a.port)}:${a.queue}`;
      case 'sample':
        return `sample(probability=${a.probability},collector_set_id=${a.collectorSetId},obs_domain_id=${a.obsDomainId},obs_point_id=${a.obsPointId}`
          + `${a.samplingPort !== OFPP.NONE ? `,sampling_port=${formatPort(a.samplingPort)}` : ''}${a.direction !== 'default' ? `,${a.direction}` : ''})`;
      case 'note': {
        // OVS pads notes to fill an 8-byte action (6 bytes in the first one).
        const len = a.data.length <= 6 ? 6 : 6 + Math.ceil((a.data.length - 6) / 8) * 8;
        const padded = Buffer.alloc(len); a.data.copy(padded);
        return 'note:' + [...padded].map((b) => b.toString(16).padStart(2, '0')).join('.');
      }
    }
  }).join(',');
}

function flagsText(f: FlowModFlags): string {
  let s = '';
  if (f.sendFlowRem) s += 'send_flow_rem ';
  if (f.checkOverlap) s += 'check_overlap ';
  if (f.noPacketCounts) s += 'no_packet_counts ';
  if (f.noByteCounts) s += 'no_byte_counts ';
  return s;
}

const COMMAND_TEXT: Record<FlowModCommand, string> = {
  add: 'ADD', modify: 'MOD', modify_strict: 'MOD_STRICT', delete: 'DEL', delete_strict: 'DEL_STRICT',
};

/** The text after "OFPT_FLOW_MOD (xid=0x1):" in `ovs-ofctl parse-flow` output. */
export function formatFlowMod(fm: FlowMod): string {
  let s = ' ' + COMMAND_TEXT[fm.command];
  if (fm.table !== 0 && fm.table !== 255) s += ` table:${fm.table}`;
  s += ' ' + formatMatch(fm.match, fm.priority);
  if (!s.endsWith(' ')) s += ' ';
  const nc = fm.newCookie ?? (fm.command === 'modify' || fm.command === 'modify_strict' ? (fm.cookieMask === 0n ? 0n : 0xffffffffffffffffn) : 0n);
  if (nc !== 0n && nc !== 0xffffffffffffffffn) s += `cookie:0x${nc.toString(16)} `;
  if (fm.cookieMask !== 0n) s += `cookie:0x${fm.cookie.toString(16)}/0x${fm.cookieMask.toString(16)} `;
  if (fm.idleTimeout) s += `idle:${fm.idleTimeout} `;
  if (fm.hardTimeout) s += `hard:${fm.hardTimeout} `;
  // importance exists from OpenFlow 1.4 on: not shown over OpenFlow 1.0, as OVS.
  if (fm.outPort !== OFPP.NONE) s += `out_port:${formatPort(fm.outPort)} `;
  s += flagsText(fm.flags);
  return s + 'actions=' + formatActions(fm.actions);
}

/** One flow as `ovs-ofctl dump-flows` prints it. */
export interface FlowStatsView {
  table: number; priority: number; cookie: bigint; match: Match; actions: readonly OfAction[];
  idleTimeout: number; hardTimeout: number; importance: number; flags: FlowModFlags;
  durationMs: number; nPackets: bigint; nBytes: bigint; idleAgeS: number; hardAgeS: number;
}

function formatDuration(ms: number): string {
  const sec = Math.floor(ms / 1000), msec = Math.floor(ms % 1000);
  return msec ? `${sec}.${String(msec).padStart(3, '0')}s` : `${sec}s`;
}

/** A dump-flows line (leading space included); `showStats` false = `--no-stats`. */
export function formatFlowStats(f: FlowStatsView, showStats = true): string {
  let s = ' ';
  if (showStats || f.cookie) s += `cookie=0x${f.cookie.toString(16)}, `;
  if (showStats) s += `duration=${formatDuration(f.durationMs)}, `;
  if (showStats || f.table) s += `table=${f.table}, `;
  if (showStats) s += `n_packets=${f.nPackets}, n_bytes=${f.nBytes}, `;
  if (f.idleTimeout) s += `idle_timeout=${f.idleTimeout}, `;
  if (f.hardTimeout) s += `hard_timeout=${f.hardTimeout}, `;
  // Flow flags (send_flow_rem...) do not travel in OpenFlow 1.0 flow stats: not shown.
  // importance (OpenFlow 1.4+) is not shown over OpenFlow 1.0.
  if (showStats) {
    s += `idle_age=${f.idleAgeS}, `;
    if (f.hardAgeS !== Math.floor(f.durationMs / 1000)) s += `hard_age=${f.hardAgeS}, `;
  }
  const m = formatMatch(f.match, f.priority);
  if (m) s += m + ' ';
  return s + 'actions=' + formatActions(f.actions);
}

/**
 * A flow file as `ovs-ofctl add-flows BRIDGE FILE` reads it: one flow per line, `#` comments,
 * blank lines skipped, a trailing backslash continues the line. For add-flows each line may
 * start with add/modify/delete/modify_strict/delete_strict. Errors name the line number.
 */
export function parseFlowFile(text: string, command: FlowModCommand | 'auto' = 'auto'): FlowMod[] {
  const out: FlowMod[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    let line = lines[i]!;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!;
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    if (line.trim() === '') continue;
    try {
      out.push(parseFlowMod(line, command));
    } catch (e) {
      if (e instanceof FlowSyntaxError) throw new FlowSyntaxError(`line ${first}: ${e.message}`);
      throw e;
    }
  }
  return out;
}
