// The OVSDB log file (ovsdb(5)): a sequence of records, each a header line
// `OVSDB <magic> <length> <sha1-hex>\n` followed by exactly <length> bytes of compact JSON ending in
// `\n`; the SHA-1 covers those bytes, newline included. A standalone database uses magic `JSON`:
// record 0 is the schema, every later record one committed transaction.
//
// Reading validates every record. A bad record that nothing valid follows is a torn tail (the
// writer died mid-write): readers report it and writers cut it off, as ovsdb-server does, so
// nothing committed before it is lost. A bad record with valid records after it is corruption in
// the middle: that is an error naming the offset, never silently truncated.
//
// Writing appends one record with one write call (the kernel sees the record as one unit), at an
// explicit offset; `durable` adds fsync. Replacing the whole log (compaction) writes a temporary file,
// fsyncs it, renames it over the original and fsyncs the directory, so a crash leaves either the old
// file or the new one.
import * as cryptoModule from 'node:crypto';
import { createHash } from 'node:crypto';
import {
  closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, realpathSync, renameSync, unlinkSync, writeSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Json, JsonObject } from './api.js';
import { OvsError } from '../util/errors.js';
import { lockDatabase, type HeldLock } from './lockfile.js';
import { thrownText } from '../util/errno-text.js';
import { parseJson, stringifyJson } from '../util/json-int64.js';

export const OVSDB_MAGIC = 'JSON';
export const RAFT_MAGIC = 'CLUSTER';

/** OVS reads a header line with a 128-byte buffer: anything longer is not a header. */
const MAX_HEADER = 127;

/** A log file problem, with OVS's message text (`I/O error: ...`, `syntax error: ...`,
 *  `ovsdb error: ...`) so the CLI can print it as ovsdb-tool does. */
export class LogError extends OvsError {
  /** Byte offset of the bad record or header, when the error is about one. */
  readonly offset?: number;
  constructor(code: 'OVSDB_E_LOG_IO' | 'OVSDB_E_LOG_SYNTAX' | 'OVSDB_E_LOG_FORMAT' | 'OVSDB_E_LOG_CORRUPT', message: string, offset?: number) {
    super(code, message);
    if (offset !== undefined) this.offset = offset;
  }
}

export function ioError(what: string, cause: unknown): LogError {
  return new LogError('OVSDB_E_LOG_IO', `I/O error: ${what} (${thrownText(cause)})`);
}

const NEWLINE = Buffer.from('\n', 'latin1');
const STREAM_CHUNK = 1 << 20;
let streamScratch: Buffer | undefined;

/** crypto.hash (Node >= 20.12): one call, without a Hash object per record. */
const oneShotHash = (cryptoModule as { hash?: (algorithm: string, data: Buffer, encoding: 'hex') => string }).hash;

export function sha1Hex(data: Buffer): string {
  return oneShotHash ? oneShotHash('sha1', data, 'hex') : createHash('sha1').update(data).digest('hex');
}

/** One record as bytes: header line + compact JSON line. */
export function composeRecord(json: Json, magic: string = OVSDB_MAGIC): Buffer {
  if (json === null || typeof json !== 'object') throw new LogError('OVSDB_E_LOG_FORMAT', 'ovsdb error: a log record must be a JSON object or array');
  return composeRecordText(stringifyJson(json), magic);
}

/** One record as bytes from its compact JSON text (a JSON object or array, no newline): one
 *  buffer, the text encoded straight into it and hashed in place. */
export function composeRecordText(text: string, magic: string = OVSDB_MAGIC): Buffer {
  const dataLen = Buffer.byteLength(text, 'utf8') + 1;
  // The header's length is known before the hash: "OVSDB <magic> <len> <40 hex digits>\n".
  const headerLen = 6 + magic.length + 1 + String(dataLen).length + 1 + 40 + 1;
  const out = Buffer.allocUnsafe(headerLen + dataLen);
  out.write(text, headerLen, 'utf8');
  out[headerLen + dataLen - 1] = 0x0a;
  const sha1 = sha1Hex(out.subarray(headerLen));
  out.write(`OVSDB ${magic} ${dataLen} ${sha1}\n`, 0, 'latin1');
  return out;
}

export interface LogRecord {
  /** Offset of the header line. */
  offset: number;
  /** Offset just past the record's data. */
  end: number;
  json: JsonObject;
}

/** A final record that could not be read: the tail to cut off. */
export interface TornTail {
  offset: number;
  /** Bytes from `offset` to the end of the file. */
  length: number;
  /** Why it could not be read (OVS's message). */
  error: LogError;
}

export interface LogContents {
  magic: string;
  records: LogRecord[];
  /** Offset just past the last good record (= file size when there is no torn tail). */
  validEnd: number;
  tail?: TornTail;
}

interface Header {
  magic: string;
  length: number;
  sha1: string;
  dataOffset: number;
}

type HeaderResult = { ok: true; header: Header } | { ok: false; line: string; complete: boolean };

function readHeader(buf: Buffer, offset: number): HeaderResult {
  const limit = Math.min(buf.length, offset + MAX_HEADER);
  let nl = buf.indexOf(0x0a, offset);
  if (nl >= limit) nl = -1;
  const complete = nl >= 0 || limit < buf.length;
  const lineEnd = nl >= 0 ? nl : limit;
  const line = buf.toString('latin1', offset, lineEnd);
  const m = nl >= 0 ? /^OVSDB ([^ \n]+) ([0-9]+) ([0-9a-fA-F]{40})$/.exec(line) : null;
  if (!m) return { ok: false, line, complete };
  const length = Number(m[2]);
  if (!Number.isSafeInteger(length) || length === 0) return { ok: false, line, complete };
  return { ok: true, header: { magic: m[1]!, length, sha1: m[3]!.toLowerCase(), dataOffset: nl + 1 } };
}

type RecordResult = { ok: true; record: LogRecord; magic: string } | { ok: false; error: LogError; truncated: boolean };

/** Reads the record at `offset`, checking header, length, hash, JSON, object. */
function readRecord(buf: Buffer, offset: number, name: string, magic: string | undefined): RecordResult {
  const h = readHeader(buf, offset);
  if (!h.ok || (magic !== undefined && h.header.magic !== magic)) {
    const line = h.ok ? buf.toString('latin1', offset, h.header.dataOffset - 1) : h.line;
    return {
      ok: false, truncated: !h.ok && !h.complete,
      error: new LogError('OVSDB_E_LOG_SYNTAX', `syntax error: ${name}: parse error at offset ${offset} in header line "${line}"`, offset),
    };
  }
  const { length, dataOffset } = h.header;
  if (dataOffset + length > buf.length) {
    return {
      ok: false, truncated: true,
      error: new LogError('OVSDB_E_LOG_IO', `I/O error: ${name}: error reading ${length} bytes starting at offset ${dataOffset} (End of file)`, offset),
    };
  }
  const data = buf.subarray(dataOffset, dataOffset + length);
  const actual = sha1Hex(data);
  if (actual !== h.header.sha1) {
    return {
      ok: false, truncated: dataOffset + length === buf.length,
      error: new LogError('OVSDB_E_LOG_SYNTAX', `syntax error: ${name}: ${length} bytes starting at offset ${dataOffset} have SHA-1 hash ${actual} but should have hash ${h.header.sha1}`, offset),
    };
  }
  let json: unknown;
  try {
    json = parseJson(data.toString('utf8'));
  } catch (e) {
    return {
      ok: false, truncated: false,
      error: new LogError('OVSDB_E_LOG_SYNTAX', `syntax error: ${name}: ${length} bytes starting at offset ${dataOffset} are not valid JSON (${(e as Error).message})`, offset),
    };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return {
      ok: false, truncated: false,
      error: new LogError('OVSDB_E_LOG_SYNTAX', `syntax error: ${name}: ${length} bytes starting at offset ${dataOffset} are not a JSON object`, offset),
    };
  }
  return { ok: true, magic: h.header.magic, record: { offset, end: dataOffset + length, json: json as JsonObject } };
}

/** Offset of the first complete, hash-valid record starting after `from`, or -1. */
function findValidRecordAfter(buf: Buffer, from: number, name: string, magic: string): number {
  const lead = Buffer.from('OVSDB ', 'latin1');
  for (let at = buf.indexOf(lead, from + 1); at >= 0; at = buf.indexOf(lead, at + 1)) {
    const r = readRecord(buf, at, name, magic);
    if (r.ok) return at;
  }
  return -1;
}

/** Identifies the file's magic from its first header line, as ovsdb_log_open does. `accept` is
 *  the list of magics the caller understands. */
function identify(buf: Buffer, name: string, accept: readonly string[]): string {
  if (buf.length === 0) {
    if (accept.length === 1) return accept[0]!;
    throw new LogError('OVSDB_E_LOG_FORMAT', `ovsdb error: ${name}: cannot identify file type`);
  }
  const h = readHeader(buf, 0);
  if (!h.ok) throw new LogError('OVSDB_E_LOG_FORMAT', `ovsdb error: ${name}: unexpected file format`);
  if (!accept.includes(h.header.magic)) throw new LogError('OVSDB_E_LOG_FORMAT', `ovsdb error: ${name}: cannot identify file type`);
  return h.header.magic;
}

/** Parses a log held in memory (its first `maxRecords` records). With `stopAtError`, any bad record
 *  ends the parse and is returned as `tail` (for printing what precedes it, as show-log does). `name` is the file name used in messages. Throws LogError
 *  (code OVSDB_E_LOG_CORRUPT) for a bad record that valid records follow; a bad final record is
 *  returned as `tail`. */
export function parseLog(buf: Buffer, name: string, accept: readonly string[] = [OVSDB_MAGIC], maxRecords = Infinity, stopAtError = false): LogContents {
  const magic = identify(buf, name, accept);
  const records: LogRecord[] = [];
  let offset = 0;
  while (offset < buf.length && records.length < maxRecords) {
    const r = readRecord(buf, offset, name, magic);
    if (r.ok) {
      records.push(r.record);
      offset = r.record.end;
      continue;
    }
    const next = stopAtError ? -1 : findValidRecordAfter(buf, offset, name, magic);
    if (next >= 0) {
      throw new LogError('OVSDB_E_LOG_CORRUPT',
        `${r.error.message} (the log is corrupt at offset ${offset}: a valid record follows at offset ${next}, so this is not a torn final write; refusing to truncate)`,
        offset);
    }
    return { magic, records, validEnd: offset, tail: { offset, length: buf.length - offset, error: r.error } };
  }
  return { magic, records, validEnd: offset };
}

/** Reads and parses the log at `path` (`name` for messages; defaults to the path as given). */
export function readLog(path: string, name: string = path, accept: readonly string[] = [OVSDB_MAGIC], maxRecords = Infinity, stopAtError = false): LogContents {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw ioError(`${name}: open failed`, e);
  }
  return parseLog(buf, name, accept, maxRecords, stopAtError);
}

/** fsyncs the directory holding `path` so a create or rename survives a crash (no-op where a
 *  directory cannot be opened, e.g. Windows). */
export function fsyncParentDir(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dirname(resolve(path)), 'r');
    fsyncSync(fd);
  } catch {
    // Directories cannot be fsynced on every platform; the data file itself was fsynced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Appends records to an open log at a known end offset. Holds the database lock while open. */
export class LogWriter {
  private fd: number | undefined;
  private end: number;
  private lock: HeldLock | undefined;
  readonly path: string;
  readonly name: string;
  readonly magic: string;

  constructor(fd: number, path: string, name: string, end: number, magic: string, lock: HeldLock | undefined) {
    this.fd = fd;
    this.path = path;
    this.name = name;
    this.end = end;
    this.magic = magic;
    this.lock = lock;
  }

  /** Bytes of valid log (where the next record goes). */
  get offset(): number {
    return this.end;
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  private openFd(): number {
    if (this.fd === undefined) throw new LogError('OVSDB_E_LOG_IO', `I/O error: ${this.name}: log is closed`);
    return this.fd;
  }

  /** Appends one record (one write call); fsyncs when `durable`. On failure cuts the file back to
   *  the last good record and throws `I/O error: <name>: write failed (...)`. */
  append(json: Json, durable: boolean): void {
    this.appendBytes(composeRecord(json, this.magic), durable);
  }

  /** Appends one record given as compact JSON text (see composeRecordText). */
  appendText(text: string, durable: boolean): void {
    this.appendBytes(composeRecordText(text, this.magic), durable);
  }

  /** Appends one record given as the UTF-8 pieces of its compact JSON text (concatenated: one JSON
   *  object, no newline), hashed and written piece by piece, so a big record is never one string or
   *  one buffer. */
  appendJsonChunks(chunks: readonly Buffer[], durable: boolean): void {
    let dataLen = 1;
    const hash = createHash('sha1');
    for (const c of chunks) {
      dataLen += c.length;
      hash.update(c);
    }
    hash.update(NEWLINE);
    const header = Buffer.from(`OVSDB ${this.magic} ${dataLen} ${hash.digest('hex')}\n`, 'latin1');
    this.appendBytes([header, ...chunks, NEWLINE], durable);
  }

  /** Appends one record whose compact JSON text (one JSON object, no newline) `produce` hands to
   *  `emit` piece by piece. `produce` runs twice and must emit the same text both times: once for
   *  the length and hash of the header, once to write the bytes through a 1 MB buffer. So even a
   *  100,000-row record never exists whole in memory. */
  appendJsonStream(produce: (emit: (s: string) => void) => void, durable: boolean): void {
    // One buffer for every stream append of the process (appends are synchronous and never nest).
    const scratch = (streamScratch ??= Buffer.allocUnsafe(STREAM_CHUNK));
    let pos = 0;
    let sink: (b: Buffer) => void = () => {};
    const emit = (s: string): void => {
      if (scratch.length - pos < s.length * 3) {
        if (pos) sink(scratch.subarray(0, pos));
        pos = 0;
        if (s.length * 3 > scratch.length) {
          sink(Buffer.from(s, 'utf8'));
          return;
        }
      }
      pos += scratch.write(s, pos, 'utf8');
    };
    const run = (to: (b: Buffer) => void): void => {
      sink = to;
      pos = 0;
      produce(emit);
      if (pos) to(scratch.subarray(0, pos));
    };
    let dataLen = 1;
    const hash = createHash('sha1');
    run((b) => {
      dataLen += b.length;
      hash.update(b);
    });
    hash.update(NEWLINE);
    const header = Buffer.from(`OVSDB ${this.magic} ${dataLen} ${hash.digest('hex')}\n`, 'latin1');
    this.appendWith(durable, (write) => {
      write(header);
      let written = 0;
      run((b) => { written += b.length; write(b); });
      write(NEWLINE);
      if (written + 1 !== dataLen) throw new Error(`the record changed between its two passes (${dataLen} then ${written + 1} bytes)`);
    });
  }

  appendBytes(bytes: Buffer | readonly Buffer[], durable: boolean): void {
    const parts = Buffer.isBuffer(bytes) ? [bytes] : bytes;
    this.appendWith(durable, (write) => { for (const b of parts) write(b); });
  }

  /** Writes what `fill` hands to `write` at the end of the file (fsynced when durable); on any
   *  failure the file is cut back to where it was, so no partial record stays behind. */
  private appendWith(durable: boolean, fill: (write: (b: Buffer) => void) => void): void {
    const fd = this.openFd();
    let at = this.end;
    try {
      fill((b) => {
        let done = 0;
        while (done < b.length) done += writeSync(fd, b, done, b.length - done, at + done);
        at += b.length;
      });
      if (durable) fsyncSync(fd);
    } catch (e) {
      try {
        ftruncateSync(fd, this.end);
      } catch {
        // Nothing more can be done; the reader treats the partial record as a torn tail.
      }
      throw ioError(`${this.name}: write failed`, e);
    }
    this.end = at;
  }

  /** fsync: everything appended so far survives a crash. */
  commit(): void {
    try {
      fsyncSync(this.openFd());
    } catch (e) {
      throw ioError(`${this.name}: fsync failed`, e);
    }
  }

  /** Replaces the file's whole content with `records` atomically (temp file, fsync, rename, directory
   *  fsync); the writer then appends to the new file. The database lock is kept throughout. */
  replace(records: readonly Json[]): void {
    const fd = this.openFd();
    const target = realTarget(this.path);
    const bytes = Buffer.concat(records.map((r) => composeRecord(r, this.magic)));
    // Windows cannot rename over a file that is open: close it first (as OVS does there) and reopen
    // the old file if the replacement fails. Elsewhere the rename happens under the open file.
    const closeFirst = process.platform === 'win32';
    if (closeFirst) {
      closeSync(fd);
      this.fd = undefined;
    }
    try {
      writeFileAtomic(target, bytes);
    } catch (e) {
      if (closeFirst) this.fd = openSync(target, 'r+');
      throw e;
    }
    let newFd: number;
    try {
      newFd = openSync(target, 'r+');
    } catch (e) {
      // The old inode is gone from the directory: appending to it would lose commits. Stop writing.
      if (!closeFirst) closeSync(fd);
      this.fd = undefined;
      throw ioError(`${this.name}: open failed`, e);
    }
    if (!closeFirst) closeSync(fd);
    this.fd = newFd;
    this.end = bytes.length;
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    this.lock?.release();
    this.lock = undefined;
  }
}

/** The file a possibly-symlinked path really names (OVS replaces a symlink's target, not the link). */
function realTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Writes `bytes` to `<target>.tmp`, fsyncs it, renames it over `target`, fsyncs the directory.
 *  The temporary file is locked like a database while it is written. */
export function writeFileAtomic(target: string, bytes: Buffer): void {
  const tmp = `${target}.tmp`;
  const tmpLock = lockDatabase(tmp);
  try {
    try {
      unlinkSync(tmp);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(`failed to remove ${tmp}`, e);
    }
    let fd: number;
    try {
      fd = openSync(tmp, 'wx', 0o640);
    } catch (e) {
      throw ioError(`${tmp}: create failed`, e);
    }
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, done);
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      try { unlinkSync(tmp); } catch { /* already reported below */ }
      throw ioError(`${tmp}: write failed`, e);
    }
    closeSync(fd);
    try {
      renameSync(tmp, target);
    } catch (e) {
      throw ioError(`failed to rename "${tmp}" to "${target}"`, e);
    }
    fsyncParentDir(target);
  } finally {
    tmpLock.release();
  }
}

export interface OpenedLog {
  contents: LogContents;
  writer: LogWriter;
  /** Set when a torn final record was cut off on open. */
  truncated?: TornTail;
}

/** Opens a log for reading and appending: locks it, reads and validates every record and, when the
 *  last record is torn, truncates the file just before it (reported in `truncated`), or with
 *  `repairTail` false refuses with the read error (as ovsdb-tool does). */
export function openLogForWrite(path: string, name: string = path, accept: readonly string[] = [OVSDB_MAGIC], repairTail = true): OpenedLog {
  const lock = lockDatabase(path, name);
  let fd: number | undefined;
  try {
    try {
      fd = openSync(path, 'r+');
    } catch (e) {
      throw ioError(`${name}: open failed`, e);
    }
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = readSyncAt(fd, buf, got);
      if (n === 0) break;
      got += n;
    }
    const contents = parseLog(buf.subarray(0, got), name, accept);
    if (contents.tail && !repairTail) throw contents.tail.error;
    if (contents.tail) {
      try {
        ftruncateSync(fd, contents.validEnd);
        fsyncSync(fd);
      } catch (e) {
        throw ioError(`${name}: cannot truncate to length ${contents.validEnd}`, e);
      }
    }
    const writer = new LogWriter(fd, path, name, contents.validEnd, contents.magic, lock);
    const opened: OpenedLog = { contents, writer };
    if (contents.tail) opened.truncated = contents.tail;
    return opened;
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    lock.release();
    throw e;
  }
}

function readSyncAt(fd: number, buf: Buffer, at: number): number {
  return readSync(fd, buf, at, buf.length - at, at);
}

/** Creates a new log holding `records` (fails if the file exists, as `ovsdb-tool create`), fsyncs
 *  it and its directory. */
export function createLog(path: string, records: readonly Json[], name: string = path, magic: string = OVSDB_MAGIC): void {
  const lock = lockDatabase(path, name);
  try {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o640);
    } catch (e) {
      throw ioError(`${name}: create failed`, e);
    }
    try {
      const bytes = Buffer.concat(records.map((r) => composeRecord(r, magic)));
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, done);
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      try { unlinkSync(path); } catch { /* best effort */ }
      throw ioError(`${name}: write failed`, e);
    }
    closeSync(fd);
    fsyncParentDir(path);
  } finally {
    lock.release();
  }
}

/** Writes `records` as a new log at `path`, replacing whatever is there, atomically. Locks `path`. */
export function replaceLogFile(path: string, records: readonly Json[], name: string = path, magic: string = OVSDB_MAGIC): void {
  const lock = lockDatabase(path, name);
  try {
    writeFileAtomic(realTarget(path), Buffer.concat(records.map((r) => composeRecord(r, magic))));
  } finally {
    lock.release();
  }
}
