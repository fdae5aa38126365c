// OVS's JSON text parser, as the OVS tools apply it to JSON given on their command line
// (json_from_string() in OVS 3.1's lib/json.c): the same accepted language, the same values and the
// same error texts, "line L, column C, byte B: MESSAGE", byte for byte.
//
// What OVS's parser does, and so what this one does:
// - The top level must be an object or an array; anything else is "syntax error at beginning of
//   input". One value only: anything but whitespace (space, tab, CR, LF) after it is "trailing
//   garbage at end of input". Nesting deeper than 1000 containers is an error.
// - Keywords start with a lowercase letter and run over ASCII letters ("nullx" is one bad keyword).
//   Numbers run over the characters `.0123456789eE-+` and are then checked as a whole.
// - A number whose value is an exact integer in int64 range (after its exponent: 1e2 is 100, 1.50e1
//   is 15) is an integer; everything else goes through strtod and is a real. The significand is
//   gathered in an unsigned 64-bit accumulator that can wrap (OVS reads 18446744073709551616 as 0);
//   kept as OVS has it. Reals outside the double range, and subnormal results that strtod flags as
//   inexact, are "number outside valid range"; underflow to zero is 0. Negative zero becomes 0.
// - Strings: control characters below U+0020 must be escaped; escapes are \" \\ \/ \b \f \n \r \t
//   and \uXXXX (U+0000 refused; a leading surrogate must be followed by an escaped trailing one).
//   Bytes at or above 0x80 are taken as they are (no UTF-8 check here; OVSDB checks later).
// - Line, column and byte count UTF-8 bytes from 0; a newline starts the next line at column 0. An
//   error is placed where the byte that revealed it starts, which for numbers, keywords and strings
//   is the byte after the token. At the end of the input OVS feeds one space to finish a pending
//   number or keyword, so "[1" ends at column 3.
// - json_from_string() reads a C string, so the text stops at its first NUL character.
//
// Our Json type has one number type, so OVS's integer/real distinction is not kept (1.0 and 1 are
// both 1); integers beyond 2^53 inside int64 are bigints, as engine/util/json-int64.ts reads them.
// Where OVS puts a lone
// byte of a multi-byte character into a message ("bad escape \<byte>") we put U+FFFD, which is what
// a UTF-8 reader of OVS's output sees.
import type { Json, JsonObject } from '../ovsdb/api.js';
import { OvsError } from './errors.js';
import { normalizeInteger } from './json-int64.js';

/** OVS's maximum nesting depth of objects and arrays (JSON_MAX_HEIGHT). */
export const OVS_JSON_MAX_DEPTH = 1000;

/** A text that OVS's JSON parser refuses. `message` is OVS's text ("line 0, column 1, byte 1:
 *  unexpected end of input"); `reason` is the part after the position. */
export class OvsJsonSyntaxError extends OvsError {
  readonly line: number;
  readonly column: number;
  readonly byte: number;
  readonly reason: string;
  constructor(line: number, column: number, byte: number, reason: string) {
    super('OVS_E_JSON_SYNTAX', `line ${line}, column ${column}, byte ${byte}: ${reason}`);
    this.line = line;
    this.column = column;
    this.byte = byte;
    this.reason = reason;
  }
}

const enum State {
  Start, End,
  ObjectInit, ObjectName, ObjectColon, ObjectValue, ObjectNext,
  ArrayInit, ArrayValue, ArrayNext,
}

/** Token kinds fed to the parser: punctuation is its character code; these two are not characters. */
const T_STRING = -1;
const T_SCALAR = -2;

const CH_LBRACE = 0x7b, CH_RBRACE = 0x7d, CH_LBRACKET = 0x5b, CH_RBRACKET = 0x5d;
const CH_COLON = 0x3a, CH_COMMA = 0x2c, CH_QUOTE = 0x22, CH_BACKSLASH = 0x5c;

const U64_MASK = (1n << 64n) - 1n;
const U64_MAX_DIV_10 = U64_MASK / 10n;
const I64_MAX = (1n << 63n) - 1n;
const I64_MIN_MAGNITUDE = 1n << 63n;
const INT_MAX = 2147483647;
const INT_MIN = -2147483648;
const INT_MAX_DIV_10 = 214748364;
const DBL_MIN_NORMAL = 2.2250738585072014e-308;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isAsciiAlpha(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/** Characters OVS's lexer keeps in a number token. */
function isNumberChar(c: number): boolean {
  return isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2d || c === 0x2b;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** UTF-8 length of the character whose (first) UTF-16 unit is at s[i]; `units` gets how many
 *  UTF-16 units it spans. Lone surrogates count as U+FFFD, as Node encodes them. */
function utf8Length(s: string, i: number): { bytes: number; units: number } {
  const c = s.charCodeAt(i);
  if (c < 0x80) return { bytes: 1, units: 1 };
  if (c < 0x800) return { bytes: 2, units: 1 };
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return { bytes: 4, units: 2 };
  }
  return { bytes: 3, units: 1 };
}

/** First UTF-8 byte of the character at s[i]. */
function firstUtf8Byte(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x80) return c;
  if (c < 0x800) return 0xc0 | (c >> 6);
  if (c >= 0xd800 && c <= 0xdfff) {
    const { units } = utf8Length(s, i);
    if (units === 2) return 0xf0 | ((((c - 0xd800) << 10) + (s.charCodeAt(i + 1) - 0xdc00) + 0x10000) >> 18);
    return 0xef; // a lone surrogate is encoded as U+FFFD
  }
  return 0xe0 | (c >> 12);
}

function hex4(n: number, upper: boolean): string {
  const h = n.toString(16).padStart(4, '0');
  return upper ? h.toUpperCase() : h;
}

/** Is the decimal number in `token` (already checked: -?digits[.digits][e[+-]digits]) exactly
 *  `d`, a nonzero subnormal double? glibc's strtod reports ERANGE for inexact subnormal results. */
function subnormalIsExact(token: string, d: number): boolean {
  const m = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(token);
  if (!m) return false;
  const digits = BigInt(m[1]! + (m[2] ?? ''));
  const exp10 = Number(m[3] ?? '0') - (m[2]?.length ?? 0);
  if (exp10 >= 0) return false; // at least 1, far above any subnormal
  const mantissa = BigInt(Math.abs(d) / Number.MIN_VALUE); // d = mantissa * 2^-1074 exactly
  return digits * (1n << 1074n) === mantissa * 10n ** BigInt(-exp10);
}

interface Frame {
  value: Json[] | JsonObject;
  isArray: boolean;
}

class Parser {
  private readonly s: string;
  private state = State.Start;
  private readonly stack: Frame[] = [];
  private memberName = '';
  private root: Json[] | JsonObject | undefined;

  constructor(s: string) {
    this.s = s;
  }

  /** Throws OVS's error as it would be reported with the first `index` UTF-16 units of the text
   *  consumed (plus `extraSpace` more space bytes: the one OVS feeds at the end). */
  fail(index: number, reason: string, extraSpace = 0): never {
    let line = 0, column = 0, byte = 0;
    const s = this.s;
    for (let i = 0; i < index;) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        byte++;
        if (c === 0x0a) { line++; column = 0; } else column++;
        i++;
      } else {
        const { bytes, units } = utf8Length(s, i);
        byte += bytes;
        column += bytes;
        i += units;
      }
    }
    throw new OvsJsonSyntaxError(line, column + extraSpace, byte + extraSpace, reason);
  }

  parse(): Json {
    const s = this.s;
    const n = s.length;
    let i = 0;
    let pendingSpace = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) {
        i++;
      } else if (c === CH_LBRACE || c === CH_RBRACE || c === CH_LBRACKET || c === CH_RBRACKET || c === CH_COLON || c === CH_COMMA) {
        this.input(c, null, i);
        i++;
      } else if (c >= 0x61 && c <= 0x7a) {
        let j = i + 1;
        while (j < n && isAsciiAlpha(s.charCodeAt(j))) j++;
        const word = s.slice(i, j);
        let value: Json;
        if (word === 'true') value = true;
        else if (word === 'false') value = false;
        else if (word === 'null') value = null;
        else this.fail(j, `invalid keyword '${word}'`);
        this.input(T_SCALAR, value, j);
        if (j === n) pendingSpace = 1;
        i = j;
      } else if (isDigit(c) || c === 0x2d) {
        let j = i + 1;
        while (j < n && isNumberChar(s.charCodeAt(j))) j++;
        this.input(T_SCALAR, this.number(s.slice(i, j), j), j);
        if (j === n) pendingSpace = 1;
        i = j;
      } else if (c === CH_QUOTE) {
        i = this.string(i);
      } else if (c >= 0x21 && c <= 0x7e) {
        this.fail(i, `invalid character '${s[i]!}'`);
      } else {
        this.fail(i, `invalid character U+${hex4(firstUtf8Byte(s, i), false)}`);
      }
    }
    if (this.state === State.Start) this.fail(n, 'empty input stream', pendingSpace);
    if (this.state !== State.End) this.fail(n, 'unexpected end of input', pendingSpace);
    return this.root!;
  }

  /** Lexes the quoted string whose opening quote is at `open`; returns the index after it. */
  private string(open: number): number {
    const s = this.s;
    const n = s.length;
    let j = open + 1;
    let escaped = false;
    for (; j < n; j++) {
      const c = s.charCodeAt(j);
      if (c === CH_QUOTE) break;
      if (c === CH_BACKSLASH) {
        escaped = true;
        j++; // the escaped character is not looked at until the string is complete
      } else if (c < 0x20) {
        this.fail(j, `U+${hex4(c, true)} must be escaped in quoted string`);
      }
    }
    if (j >= n) this.fail(n, 'unexpected end of input in quoted string');
    const raw = s.slice(open + 1, j);
    this.input(T_STRING, escaped ? this.unescape(raw, j) : raw, j);
    return j + 1;
  }

  /** Resolves the escapes of a complete string body; errors are placed at its closing quote. */
  private unescape(raw: string, at: number): string {
    const n = raw.length;
    let out = '';
    let from = 0;
    let k = raw.indexOf('\\');
    while (k >= 0) {
      out += raw.slice(from, k);
      // The lexer never leaves a backslash last, so raw[k + 1] exists.
      const e = raw.charCodeAt(k + 1);
      k += 2;
      switch (e) {
        case 0x22: case 0x5c: case 0x2f: out += String.fromCharCode(e); break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: { // u
          const c0 = this.hex4At(raw, k, at);
          k += 4;
          if (c0 >= 0xd800 && c0 <= 0xdbff) {
            if (k + 1 >= n || raw.charCodeAt(k) !== CH_BACKSLASH || raw.charCodeAt(k + 1) !== 0x75) {
              this.fail(at, 'malformed escaped surrogate pair');
            }
            const c1 = this.hex4At(raw, k + 2, at);
            if (c1 < 0xdc00 || c1 > 0xdfff) this.fail(at, 'second half of escaped surrogate pair is not trailing surrogate');
            out += String.fromCharCode(c0, c1);
            k += 6;
          } else {
            out += String.fromCharCode(c0);
          }
          break;
        }
        default:
          this.fail(at, `bad escape \\${e < 0x80 ? raw[k - 1]! : '\uFFFD'}`);
      }
      from = k;
      k = raw.indexOf('\\', k);
    }
    return out + raw.slice(from);
  }

  /** The four hex digits at raw[k..k+3] of a \u escape. */
  private hex4At(raw: string, k: number, at: number): number {
    let value = 0;
    let ok = k + 4 <= raw.length;
    for (let q = 0; ok && q < 4; q++) {
      const h = hexValue(raw.charCodeAt(k + q));
      if (h < 0) ok = false;
      else value = value * 16 + h;
    }
    if (!ok) {
      // OVS measures the rest of the string in bytes: "ends within" only if fewer than 4 remain.
      let bytes = 0;
      for (let q = k; q < raw.length && bytes < 4;) {
        const { bytes: b, units } = utf8Length(raw, q);
        bytes += b;
        q += units;
      }
      this.fail(at, bytes < 4 ? 'quoted string ends within \\u escape' : 'malformed \\u escape');
    }
    if (value === 0) this.fail(at, 'null bytes not supported in quoted strings');
    return value;
  }

  /** The value of a number token that ends at index `at`, by OVS's rules. */
  private number(tok: string, at: number): number | bigint {
    const len = tok.length;
    // Fast path: a short well-formed number without exponent (at most 15 digits, so no wrap, no
    // range error, and OVS's integer or real is exactly JavaScript's reading of it).
    if (len <= 16) {
      let k = tok.charCodeAt(0) === 0x2d ? 1 : 0;
      const first = tok.charCodeAt(k);
      if (k < len && isDigit(first)) {
        k++;
        if (first !== 0x30) while (k < len && isDigit(tok.charCodeAt(k))) k++;
        if (k < len && tok.charCodeAt(k) === 0x2e && k + 1 < len) {
          for (k++; k < len && isDigit(tok.charCodeAt(k)); k++);
        }
        if (k === len && len - (tok.charCodeAt(0) === 0x2d ? 1 : 0) - (tok.includes('.') ? 1 : 0) <= 15) return Number(tok) || 0;
      }
    }
    let k = 0;
    let negative = false;
    if (tok.charCodeAt(0) === 0x2d) { negative = true; k++; }
    let significand = 0n;
    let pow10 = 0;
    let imprecise = false;
    if (tok.charCodeAt(k) === 0x30) {
      k++;
      if (isDigit(tok.charCodeAt(k))) this.fail(at, 'leading zeros not allowed');
    } else if (isDigit(tok.charCodeAt(k))) {
      do {
        const d = tok.charCodeAt(k) - 0x30;
        if (significand <= U64_MAX_DIV_10) {
          significand = (significand * 10n + BigInt(d)) & U64_MASK;
        } else {
          pow10++;
          if (d !== 0) imprecise = true;
        }
        k++;
      } while (isDigit(tok.charCodeAt(k)));
    } else {
      this.fail(at, "'-' must be followed by digit");
    }
    if (tok.charCodeAt(k) === 0x2e) {
      k++;
      if (!isDigit(tok.charCodeAt(k))) this.fail(at, 'decimal point must be followed by digit');
      do {
        const d = tok.charCodeAt(k) - 0x30;
        if (significand <= U64_MAX_DIV_10) {
          significand = (significand * 10n + BigInt(d)) & U64_MASK;
          pow10--;
        } else if (d !== 0) {
          imprecise = true;
        }
        k++;
      } while (isDigit(tok.charCodeAt(k)));
    }
    const e = tok.charCodeAt(k);
    if (e === 0x65 || e === 0x45) {
      k++;
      let negativeExponent = false;
      if (tok.charCodeAt(k) === 0x2b) k++;
      else if (tok.charCodeAt(k) === 0x2d) { negativeExponent = true; k++; }
      if (!isDigit(tok.charCodeAt(k))) this.fail(at, 'exponent must contain at least one digit');
      let exponent = 0;
      do {
        if (exponent >= INT_MAX_DIV_10) this.fail(at, 'exponent outside valid range');
        exponent = exponent * 10 + (tok.charCodeAt(k) - 0x30);
        k++;
      } while (isDigit(tok.charCodeAt(k)));
      if (negativeExponent) {
        if (pow10 < INT_MIN + exponent) this.fail(at, 'exponent outside valid range');
        pow10 -= exponent;
      } else {
        if (pow10 > INT_MAX - exponent) this.fail(at, 'exponent outside valid range');
        pow10 += exponent;
      }
    }
    if (k !== len) this.fail(at, 'syntax error in number');

    if (significand === 0n) return 0;
    if (!imprecise) {
      while (pow10 > 0 && significand < U64_MAX_DIV_10) { significand *= 10n; pow10--; }
      while (pow10 < 0 && significand % 10n === 0n) { significand /= 10n; pow10++; }
      if (pow10 === 0 && significand <= (negative ? I64_MIN_MAGNITUDE : I64_MAX)) {
        return normalizeInteger(negative ? -significand : significand);
      }
    }
    const real = Number(tok);
    if (!Number.isFinite(real)) this.fail(at, 'number outside valid range');
    if (real === 0) return 0;
    if (Math.abs(real) < DBL_MIN_NORMAL && !subnormalIsExact(tok, real)) this.fail(at, 'number outside valid range');
    return real;
  }

  /** OVS's parser state machine, fed one token that completed at index `at`. */
  private input(kind: number, value: Json, at: number): void {
    switch (this.state) {
      case State.Start:
        if (kind === CH_LBRACE || kind === CH_LBRACKET) this.push(kind, at);
        else this.fail(at, 'syntax error at beginning of input');
        return;
      case State.End:
        return this.fail(at, 'trailing garbage at end of input');
      case State.ObjectInit:
        if (kind === CH_RBRACE) this.pop();
        else this.memberNameToken(kind, value, at);
        return;
      case State.ObjectName:
        this.memberNameToken(kind, value, at);
        return;
      case State.ObjectColon:
        if (kind !== CH_COLON) this.fail(at, "syntax error parsing object expecting ':'");
        this.state = State.ObjectValue;
        return;
      case State.ObjectValue:
        this.value(kind, value, at, State.ObjectNext);
        return;
      case State.ObjectNext:
        if (kind === CH_COMMA) this.state = State.ObjectName;
        else if (kind === CH_RBRACE) this.pop();
        else this.fail(at, "syntax error expecting '}' or ','");
        return;
      case State.ArrayInit:
        if (kind === CH_RBRACKET) this.pop();
        else this.value(kind, value, at, State.ArrayNext);
        return;
      case State.ArrayValue:
        this.value(kind, value, at, State.ArrayNext);
        return;
      case State.ArrayNext:
        if (kind === CH_COMMA) this.state = State.ArrayValue;
        else if (kind === CH_RBRACKET) this.pop();
        else this.fail(at, "syntax error expecting ']' or ','");
        return;
    }
  }

  private memberNameToken(kind: number, value: Json, at: number): void {
    if (kind !== T_STRING) this.fail(at, 'syntax error parsing object expecting string');
    this.memberName = value as string;
    this.state = State.ObjectColon;
  }

  private value(kind: number, value: Json, at: number, next: State): void {
    if (kind === CH_LBRACE || kind === CH_LBRACKET) {
      this.push(kind, at);
    } else if (kind === T_STRING || kind === T_SCALAR) {
      this.put(value);
      this.state = next;
    } else {
      this.fail(at, 'syntax error expecting value');
    }
  }

  private put(value: Json): void {
    const top = this.stack[this.stack.length - 1]!;
    if (top.isArray) {
      (top.value as Json[]).push(value);
    } else if (this.memberName === '__proto__') {
      Object.defineProperty(top.value, '__proto__', { value, writable: true, enumerable: true, configurable: true });
    } else {
      // A repeated member name keeps the last value, as OVS's object does.
      (top.value as JsonObject)[this.memberName] = value;
    }
  }

  private push(kind: number, at: number): void {
    if (this.stack.length >= OVS_JSON_MAX_DEPTH) this.fail(at, `input exceeds maximum nesting depth ${OVS_JSON_MAX_DEPTH}`);
    const isArray = kind === CH_LBRACKET;
    const value: Json[] | JsonObject = isArray ? [] : {};
    if (this.stack.length > 0) this.put(value);
    else this.root = value;
    this.stack.push({ value, isArray });
    this.state = isArray ? State.ArrayInit : State.ObjectInit;
  }

  private pop(): void {
    if (this.stack.length === 1) {
      this.state = State.End;
      return;
    }
    this.stack.pop();
    this.state = this.stack[this.stack.length - 1]!.isArray ? State.ArrayNext : State.ObjectNext;
  }
}

/** Parses `text` as OVS's json_from_string() does: an object or an array, OVS's grammar and
 *  number rules. Throws OvsJsonSyntaxError whose message is OVS's error text. */
export function parseOvsJson(text: string): Json {
  const nul = text.indexOf('\0');
  return new Parser(nul >= 0 ? text.slice(0, nul) : text).parse();
}
