// JSON-RPC 1.0 as OVSDB speaks it (RFC 7047 §4): a byte stream carrying JSON objects one after
// another with no framing. `JsonSplitter` finds the message boundaries incrementally in chunks cut
// anywhere (inside strings, escapes or UTF-8 sequences) and enforces hard limits; `parseMessage`
// classifies a value as request / notification / reply / error; `encodeMessage` serializes.
import { isAscii } from 'node:buffer';
import type { Json, JsonObject } from '../ovsdb/api.js';
import { JsonLimitError, JsonRpcProtocolError, JsonSyntaxError } from './errors.js';
import { parseJson, preciseJson, stringifyJson } from '../util/json-int64.js';

/** Default limit on one message: 64 MiB. A full vswitch database dump is far below this; the
 *  limit exists so a peer cannot make us buffer without bound. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Default limit on nesting: OVSDB values are at most ~6 deep; 1000 matches OVS's JSON parser. */
export const DEFAULT_MAX_DEPTH = 1000;

export interface SplitterLimits {
  maxMessageBytes?: number;
  maxDepth?: number;
}

export interface SplitterOptions extends SplitterLimits {
  /** A large first chunk of a message that is not the whole message is held, unscanned, until a
   *  later chunk completes it, and then parsed whole (see JsonSplitter.pushHeld). For clients, which
   *  read large replies in 64 KiB pieces in processes too short-lived for the scanner to get
   *  optimised; a server keeps scanning (its scanner is optimised, and holding would let a client
   *  that stops in the middle of a message delay its earlier requests). */
  holdPartial?: boolean;
}

/** Bytes held unscanned at most (holdPartial); beyond, they are scanned as usual. Bounds the work
 *  of the parse attempts on held bytes. */
const MAX_HELD_BYTES = 1024 * 1024;

const SP = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d;
const QUOTE = 0x22, BACKSLASH = 0x5c;
const LBRACE = 0x7b, RBRACE = 0x7d, LBRACKET = 0x5b, RBRACKET = 0x5d;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Incremental splitter: `push(chunk)` returns the complete JSON values the chunk finished (zero or
 * more, in order). Top-level values must be objects or arrays (a JSON-RPC stream has nothing
 * else). After a thrown error the splitter stays failed: the stream has lost its framing.
 */
export class JsonSplitter {
  readonly maxMessageBytes: number;
  readonly maxDepth: number;
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  private depth = 0;
  private inString = false;
  private escape = false;
  private failed: Error | undefined;
  /** Total bytes consumed, for error messages. */
  private offset = 0;
  /** Every byte of the current message OR-ed together: below 0x80, the message is ASCII. */
  private bits = 0;

  private readonly holdPartial: boolean;
  /** Chunks held unscanned (holdPartial), in order, and their total length. */
  private held: Uint8Array[] | undefined;
  private heldBytes = 0;

  constructor(limits: SplitterOptions = {}) {
    this.holdPartial = limits.holdPartial ?? false;
    this.maxMessageBytes = limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
    if (!(this.maxMessageBytes > 0)) throw new RangeError(`maxMessageBytes must be > 0, got ${this.maxMessageBytes}`);
    if (!(this.maxDepth > 0)) throw new RangeError(`maxDepth must be > 0, got ${this.maxDepth}`);
  }

  /** Bytes of an unfinished message held so far (0 between messages). */
  get pendingBytes(): number {
    return this.partBytes + this.heldBytes;
  }

  /** True when the stream ended between messages (nothing unfinished). */
  get idle(): boolean {
    return this.depth === 0 && this.partBytes === 0 && this.held === undefined;
  }

  push(chunk: Uint8Array): Json[] {
    if (this.failed) throw this.failed;
    try {
      return this.held ? this.pushHeld(chunk) : this.pushFresh(chunk, 0);
    } catch (e) {
      this.failed = e as Error;
      this.parts = [];
      this.partBytes = 0;
      this.held = undefined;
      this.heldBytes = 0;
      throw e;
    }
  }

  /** A chunk with nothing held. `split`: how many whole messages were already parsed off the front
   *  of the chunk this came from (see took). */
  private pushFresh(chunk: Uint8Array, split: number): Json[] {
    const betweenMessages = this.depth === 0 && this.parts.length === 0;
    if (chunk.length <= SMALL_WHOLE_MAX_BYTES && betweenMessages) {
      const value = this.parseSmall(chunk);
      if (value !== undefined) {
        this.offset += chunk.length;
        return [value];
      }
    }
    if (chunk.length >= WHOLE_PARSE_MIN_BYTES && betweenMessages && split < MAX_WHOLE_SPLITS) {
      // A client (holdPartial) also tries a chunk that does not end in '}' or ']': it may hold a
      // whole message and then the start of the next, and that one is then taken now, not once
      // the next is complete.
      const whole = this.parseWhole(chunk, this.holdPartial);
      if (whole === 'incomplete' && this.holdPartial) {
        this.held = [Uint8Array.prototype.slice.call(chunk)]; // copy: the caller may reuse its buffer
        this.heldBytes = chunk.length;
        return [];
      }
      if (typeof whole === 'object') return this.took(chunk, whole, split);
    }
    return this.scan(chunk);
  }

  /** The messages of a chunk whose first `whole.end` bytes were one message: that one, then the
   *  rest's, which starts between messages. */
  private took(chunk: Uint8Array, whole: Whole, split: number): Json[] {
    this.offset += whole.end;
    if (whole.end >= chunk.length) return [whole.value];
    const out = this.pushFresh(chunk.subarray(whole.end), split + 1);
    out.unshift(whole.value);
    return out;
  }

  /** holdPartial: adds a chunk to the held ones; once they end in '}' or ']', tries them as one
   *  message (or a message and then more, see took). Held bytes that turn out not to be JSON, or
   *  that grow past MAX_HELD_BYTES, are scanned, in order, as if they had never been held. */
  private pushHeld(chunk: Uint8Array): Json[] {
    const held = this.held!;
    held.push(Uint8Array.prototype.slice.call(chunk));
    this.heldBytes += chunk.length;
    let last = chunk.length - 1;
    while (last >= 0 && isSpace(chunk[last]!)) last--;
    const mayEnd = last < 0 || chunk[last] === RBRACE || chunk[last] === RBRACKET;
    if (mayEnd) {
      const all = Buffer.concat(held, this.heldBytes);
      const whole = this.parseWhole(all);
      if (typeof whole === 'object') {
        this.held = undefined;
        this.heldBytes = 0;
        return this.took(all, whole, 0);
      }
      if (whole === 'no' || this.heldBytes > this.maxHeldBytes) return this.scanHeld();
      held.length = 0;
      held.push(all);
    } else if (this.heldBytes > this.maxHeldBytes) {
      return this.scanHeld();
    }
    return [];
  }

  private get maxHeldBytes(): number {
    return Math.min(MAX_HELD_BYTES, this.maxMessageBytes);
  }

  private scanHeld(): Json[] {
    const chunks = this.held!;
    this.held = undefined;
    this.heldBytes = 0;
    const out: Json[] = [];
    for (const c of chunks) out.push(...this.scan(c));
    return out;
  }

  /**
   * A large chunk that starts between messages and ends in '}' or ']' is often exactly one message
   * (a reply read whole), or one message and then others (replies to requests sent together).
   * JSON.parse checks that in one native pass, where the byte scanner (below) runs as JavaScript
   * that a short-lived process, such as one ovs-vsctl call, never gets to optimise: on an
   * ovs-vsctl add-br, scanning the ~80 KB of schema and monitor replies cost more time than
   * anything else it did. Returns the first message and the byte after it (`end`: the chunk's
   * length when it was the only one; else V8 named where the text after it begins); 'incomplete'
   * when the bytes are the start of one message (JSON.parse ran out of input, or they do not end in
   * '}' or ']' and hold no whole message); 'no' when they are anything else (not JSON, over the
   * size limit): then they are scanned, which reports errors as usual. The nesting limit holds as
   * for scanned messages. Bytes that do not end in '}' or ']' are parsed only when `tryUnclosed`
   * (else they are 'incomplete' at once).
   */
  private parseWhole(chunk: Uint8Array, tryUnclosed = false): Whole | 'incomplete' | 'no' {
    let first = 0;
    while (first < chunk.length && isSpace(chunk[first]!)) first++;
    let last = chunk.length - 1;
    while (last > first && isSpace(chunk[last]!)) last--;
    const open = chunk[first];
    if (open !== LBRACE && open !== LBRACKET) return 'no';
    const bytes = chunk.subarray(first, last + 1);
    if (bytes.length > this.maxMessageBytes) return 'no'; // the scanner reports it
    const closed = chunk[last] === RBRACE || chunk[last] === RBRACKET;
    if (!closed && !tryUnclosed) return 'incomplete';
    let text: string;
    let ascii: boolean;
    try {
      ascii = isAscii(bytes);
      text = ascii ? latin1Text(bytes) : utf8Text(bytes);
    } catch {
      return closed ? 'no' : 'incomplete'; // not UTF-8, or cut inside a character
    }
    let value: Json;
    let end = chunk.length;
    let length = bytes.length;
    try {
      value = preciseJson(text, JSON.parse(text) as Json);
    } catch (e) {
      // V8 names where the text stopped making sense: at its end means it was cut short; after a
      // whole value, the next message begins there.
      const msg = (e as Error).message;
      const at = /at position (\d+)/.exec(msg);
      const pos = at ? Number(at[1]) : -1;
      const nextBegins = pos > 0 && pos < text.length && msg.includes('after JSON');
      if (!nextBegins) return pos >= text.length || !closed || msg.includes('end of JSON') ? 'incomplete' : 'no';
      const head = text.slice(0, pos);
      try {
        value = preciseJson(head, JSON.parse(head) as Json);
      } catch {
        return 'no';
      }
      length = ascii ? pos : Buffer.byteLength(head);
      end = first + length;
    }
    // n bytes nest at most n/2 levels: only longer messages can be too deep.
    if (length > 2 * this.maxDepth && nestingExceeds(value, this.maxDepth)) {
      throw new JsonLimitError(`message nesting exceeds the limit of ${this.maxDepth} levels (at byte ${this.offset + first})`);
    }
    return { value, end };
  }

  /**
   * A small chunk that starts between messages is usually exactly one request (a client with one
   * request in flight): then one JSON.parse of the whole chunk is the message, without the byte
   * scanner's pass. Returns the value, or undefined for anything else (more than one message, part
   * of one, not JSON, not UTF-8), which the scanner then takes as usual, errors included. A
   * boundary between two messages ('}' or ']' then, after spaces, '{' or '[', which one JSON value
   * can hold only inside a string) sends the chunk to the scanner before any parse, so pipelined
   * requests pay no failed parse. The limits hold as in parseWhole, which this uses: n bytes nest
   * at most n/2 levels, so chunks longer than twice the nesting limit are left to the scanner,
   * and shorter ones need no nesting check.
   */
  private parseSmall(chunk: Uint8Array): Json | undefined {
    const n = chunk.length;
    if (n > 2 * this.maxDepth) return undefined;
    for (let i = 0; i < n; i++) {
      const b = chunk[i]!;
      if (b !== RBRACE && b !== RBRACKET) continue;
      let j = i + 1;
      while (j < n && isSpace(chunk[j]!)) j++;
      const next = chunk[j];
      if (next === LBRACE || next === LBRACKET) return undefined;
    }
    const whole = this.parseWhole(chunk);
    return typeof whole === 'object' && whole.end === chunk.length ? whole.value : undefined;
  }

  private scan(chunk: Uint8Array): Json[] {
    const out: Json[] = [];
    const n = chunk.length;
    let start = this.depth > 0 ? 0 : -1; // where the current message begins in this chunk
    let i = 0;
    while (i < n) {
      if (this.depth === 0) {
        // Between messages: whitespace only, then '{' or '['.
        const b = chunk[i];
        if (b === SP || b === LF || b === CR || b === TAB) { i++; continue; }
        if (b !== LBRACE && b !== LBRACKET) {
          throw new JsonSyntaxError(`syntax error at byte ${this.offset + i}: expected '{' or '[' to start a JSON-RPC message, found ${describeByte(b)}`);
        }
        start = i;
        this.depth = 1;
        this.bits = 0;
        i++;
        continue;
      }
      if (this.inString) {
        // Fast path through string contents: only '"' and '\\' matter (and whether any byte is
        // not ASCII).
        let bits = 0;
        while (i < n) {
          const b = chunk[i++]!;
          bits |= b;
          if (this.escape) { this.escape = false; continue; }
          if (b === BACKSLASH) { this.escape = true; continue; }
          if (b === QUOTE) { this.inString = false; break; }
        }
        this.bits |= bits;
        continue;
      }
      const b = chunk[i++]!;
      this.bits |= b;
      if (b === QUOTE) {
        this.inString = true;
      } else if (b === LBRACE || b === LBRACKET) {
        if (++this.depth > this.maxDepth) {
          throw new JsonLimitError(`message nesting exceeds the limit of ${this.maxDepth} levels (at byte ${this.offset + i - 1})`);
        }
      } else if (b === RBRACE || b === RBRACKET) {
        if (--this.depth === 0) {
          const piece = chunk.subarray(start, i);
          this.checkSize(piece.length);
          out.push(this.finish(piece));
          start = -1;
        }
      }
    }
    if (this.depth > 0 && start >= 0) {
      const piece = chunk.subarray(start, n);
      this.checkSize(piece.length);
      // Copy: the caller may reuse its buffer.
      this.parts.push(Uint8Array.prototype.slice.call(piece));
      this.partBytes += piece.length;
    }
    this.offset += n;
    return out;
  }

  private checkSize(more: number): void {
    const total = this.partBytes + more;
    if (total > this.maxMessageBytes) {
      throw new JsonLimitError(`message exceeds the size limit of ${this.maxMessageBytes} bytes (${total} bytes and not finished)`);
    }
  }

  private finish(last: Uint8Array): Json {
    let bytes: Uint8Array;
    if (this.parts.length === 0) {
      bytes = last;
    } else {
      this.parts.push(last);
      bytes = Buffer.concat(this.parts, this.partBytes + last.length);
      this.parts = [];
      this.partBytes = 0;
    }
    const text = (this.bits & 0x80) === 0 ? latin1Text(bytes) : utf8Text(bytes);
    try {
      return parseJson(text);
    } catch (e) {
      throw new JsonSyntaxError(`message is not valid JSON: ${(e as Error).message}; message starts ${JSON.stringify(text.slice(0, 80))}`);
    }
  }
}

/** Chunks at least this large are first tried as one whole message (JsonSplitter.parseWhole);
 *  a server's usual requests are far smaller and take the scanner's path alone. */
const WHOLE_PARSE_MIN_BYTES = 4096;
/** Chunks at most this large are first tried as one whole message (JsonSplitter.parseSmall). */
const SMALL_WHOLE_MAX_BYTES = 1024;
/** Whole-message parse attempts per chunk at most (JsonSplitter.took): after that many messages
 *  parsed off its front, the rest is scanned. Each attempt decodes the chunk's remaining bytes, so
 *  this bounds that work to a few passes over the chunk however many small messages it holds
 *  (pipelined requests). */
const MAX_WHOLE_SPLITS = 2;

/** A message parsed whole from the front of a chunk, and the chunk offset just after it. */
interface Whole { value: Json; end: number }

const isSpace = (b: number): boolean => b === SP || b === LF || b === CR || b === TAB;

const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));

/** ASCII bytes as text (latin1 is the same text; no UTF-8 validation needed). */
function latin1Text(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('latin1');
}

/** UTF-8 bytes as text; throws JsonSyntaxError when they are not valid UTF-8. */
function utf8Text(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new JsonSyntaxError('message is not valid UTF-8');
  }
}

/** True when `value` nests objects/arrays deeper than `max` levels (the top level is 1), as the
 *  scanner counts them. Level by level, with Object.values (native): no recursion (the value may
 *  be deeper than the call stack allows), and fast in code not optimised yet (a for-in walk with
 *  a stack of pairs took 9 ms on a 59 KB reply in a fresh ovs-vsctl; this takes 1 ms). */
function nestingExceeds(value: Json, max: number): boolean {
  let level: Json[] = [value];
  for (let depth = 1; level.length > 0; depth++) {
    if (depth > max) return true;
    const next: Json[] = [];
    for (let i = 0; i < level.length; i++) {
      const v = level[i]!;
      const xs: Json[] = Array.isArray(v) ? v : Object.values(v as JsonObject);
      for (let j = 0; j < xs.length; j++) {
        const x = xs[j]!;
        if (typeof x === 'object' && x !== null) next.push(x);
      }
    }
    level = next;
  }
  return false;
}

function describeByte(b: number): string {
  return b >= 0x21 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

// ---- Messages -------------------------------------------------------------------------------

export interface JsonRpcRequest { kind: 'request'; method: string; params: Json[]; id: Json }
export interface JsonRpcNotification { kind: 'notification'; method: string; params: Json[] }
export interface JsonRpcReply { kind: 'reply'; result: Json; id: Json }
export interface JsonRpcErrorReply { kind: 'error'; error: Json; id: Json }
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcReply | JsonRpcErrorReply;

const MEMBERS = new Set(['method', 'params', 'result', 'error', 'id']);

/** Classifies one received JSON value; throws JsonRpcProtocolError naming what is wrong. */
export function parseMessage(value: Json): JsonRpcMessage {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new JsonRpcProtocolError(`message is not a JSON object: ${truncate(value)}`);
  }
  for (const k of Object.keys(value)) {
    if (!MEMBERS.has(k)) throw new JsonRpcProtocolError(`message has unexpected member "${k}"`);
  }
  const id = value.id === undefined ? null : value.id;
  if (value.method !== undefined) {
    if (typeof value.method !== 'string') throw new JsonRpcProtocolError(`"method" is not a string: ${truncate(value.method)}`);
    if (value.result !== undefined || value.error !== undefined) {
      throw new JsonRpcProtocolError(`request "${value.method}" also has "result" or "error"`);
    }
    const params = value.params;
    if (!Array.isArray(params)) throw new JsonRpcProtocolError(`"params" of "${value.method}" is not an array: ${truncate(params ?? null)}`);
    return id === null
      ? { kind: 'notification', method: value.method, params }
      : { kind: 'request', method: value.method, params, id };
  }
  if (value.params !== undefined) throw new JsonRpcProtocolError('message has "params" but no "method"');
  if (value.error !== undefined && value.error !== null) {
    return { kind: 'error', error: value.error, id };
  }
  if (value.result !== undefined) {
    if (id === null) throw new JsonRpcProtocolError('reply has a null "id"');
    return { kind: 'reply', result: value.result, id };
  }
  throw new JsonRpcProtocolError('message has neither "method", "result" nor "error"');
}

/** The wire form of a message, as OVS writes it (replies carry `"error": null`). */
export function messageToJson(msg: JsonRpcMessage): JsonObject {
  switch (msg.kind) {
    case 'request': return { id: msg.id, method: msg.method, params: msg.params };
    case 'notification': return { id: null, method: msg.method, params: msg.params };
    case 'reply': return { id: msg.id, result: msg.result, error: null };
    case 'error': return { id: msg.id, result: null, error: msg.error };
  }
}

export function encodeMessage(msg: JsonRpcMessage): Buffer {
  return Buffer.from(encodeMessageText(msg), 'utf8');
}

/** `JSON.stringify(messageToJson(msg))` without building the wrapper object: the same text, member
 *  for member (a value that does not serialise, e.g. `undefined`, is written as null). */
export function encodeMessageText(msg: JsonRpcMessage): string {
  switch (msg.kind) {
    case 'request': return `{"id":${jsonText(msg.id)},"method":${JSON.stringify(msg.method)},"params":${jsonText(msg.params)}}`;
    case 'notification': return notificationText(msg.method, jsonText(msg.params));
    case 'reply': return `{"id":${jsonText(msg.id)},"result":${jsonText(msg.result)},"error":null}`;
    case 'error': return `{"id":${jsonText(msg.id)},"result":null,"error":${jsonText(msg.error)}}`;
  }
}

/** A reply whose result is already serialised: `{"id":ID,"result":RESULT,"error":null}`. */
export function replyText(id: Json, resultText: string): string {
  return `{"id":${jsonText(id)},"result":${resultText},"error":null}`;
}

/** A notification whose params array is already serialised (e.g. one monitor update shared by
 *  many sessions): `{"id":null,"method":METHOD,"params":PARAMS}`. */
export function notificationText(method: string, paramsText: string): string {
  return `{"id":null,"method":${JSON.stringify(method)},"params":${paramsText}}`;
}

function jsonText(v: Json): string {
  return stringifyJson(v) ?? 'null';
}

function truncate(v: Json): string {
  const s = stringifyJson(v);
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}
