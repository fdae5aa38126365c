// OVS's logging facility (lib/vlog.c behaviour): named modules, six levels (off emer err warn info dbg),
// three destinations (console = stderr, syslog, file) each with its own level per module and its
// own line pattern, one sequence number per emitted message, `-v`/`--verbose`/`--log-file` options
// and the `vlog/*` control commands with OVS's replies.
//
//   file line:    2026-11-25T21:31:29.123Z|00001|vlog|INFO|opened log file /x/ovsdb-server.log
//   console line: 2026-11-25T21:31:29Z|00002|ovsdb_server|INFO|ovsdb-server (Open vSwitch) 3.1.0
import { closeSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { OvsError } from './errors.js';
import { ovsLogdir } from './ovs-paths.js';
import { strerror } from './errno-text.js';

export { listenErrorText, strerror } from './errno-text.js';

export const LEVELS = ['off', 'emer', 'err', 'warn', 'info', 'dbg'] as const;
export type VlogLevel = (typeof LEVELS)[number];
/** Destinations in OVS's enum order (vlog/list-pattern prints them in this order). */
export const DESTINATIONS = ['syslog', 'console', 'file'] as const;
export type VlogDestination = (typeof DESTINATIONS)[number];

const LEVEL_NAMES = ['OFF', 'EMER', 'ERR', 'WARN', 'INFO', 'DBG'];
/** syslog severities per level (LOG_ALERT, LOG_ALERT, LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_DEBUG). */
const SYSLOG_SEVERITY = [1, 1, 3, 4, 5, 7];
const LOCAL0 = 16 << 3;
const FACILITIES: Record<string, number> = {
  kern: 0, user: 8, mail: 16, daemon: 24, auth: 32, syslog: 40, lpr: 48, news: 56, uucp: 64, clock: 72,
  ftp: 88, ntp: 96, audit: 104, alert: 112, clock2: 120, local0: 128, local1: 136, local2: 144,
  local3: 152, local4: 160, local5: 168, local6: 176, local7: 184,
};

export const DEFAULT_PATTERNS: Record<VlogDestination, string> = {
  syslog: 'ovs|%05N|%c%T|%p|%m',
  console: '%D{%Y-%m-%dT%H:%M:%SZ}|%05N|%c%T|%p|%m',
  file: '%D{%Y-%m-%dT%H:%M:%S.###Z}|%05N|%c%T|%p|%m',
};
const SYSLOG_PREFIX = '<%B> %D{%h %e %T} %E %A:';

/** Modules every one of our programs knows, so `-vjsonrpc:dbg` works before the code that logs
 *  as `jsonrpc` is first used (OVS knows all modules linked into the binary). */
const WELL_KNOWN_MODULES = [
  // "audit": the audit trail of our ovsdb-server (engine/rpc/audit.ts), so `-vaudit:file:off` works.
  'audit', 'daemon', 'daemon_unix', 'fatal_signal', 'jsonrpc', 'lockfile', 'memory', 'ovsdb', 'ovsdb_error',
  'ovsdb_file', 'ovsdb_jsonrpc_server', 'ovsdb_log', 'ovsdb_monitor', 'ovsdb_server', 'ovsdb_client',
  'poll_loop', 'reconnect', 'stream', 'stream_ssl', 'stream_tcp', 'stream_unix', 'timeval', 'unixctl',
  'util', 'vlog',
];

export class VlogError extends OvsError {
  constructor(message: string) {
    super('OVS_E_VLOG', message);
  }
}

function levelIndex(word: string): number {
  return LEVELS.indexOf(word.toLowerCase() as VlogLevel);
}
function destinationIndex(word: string): number {
  return DESTINATIONS.indexOf(word.toLowerCase() as VlogDestination);
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** strftime for the conversions OVS log patterns use, plus OVS's `.###` (milliseconds, one digit per #). */
export function strftimeMsec(fmt: string, ms: number, utc: boolean): string {
  const d = new Date(ms);
  const get = utc
    ? { Y: d.getUTCFullYear(), m: d.getUTCMonth(), d: d.getUTCDate(), H: d.getUTCHours(), M: d.getUTCMinutes(), S: d.getUTCSeconds(), w: d.getUTCDay() }
    : { Y: d.getFullYear(), m: d.getMonth(), d: d.getDate(), H: d.getHours(), M: d.getMinutes(), S: d.getSeconds(), w: d.getDay() };
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i];
    if (ch === '#') {
      // A run of '#' right after '.' or ',' (OVS requires the dot) becomes the leading ms digits.
      let n = 0;
      while (fmt[i + n] === '#') n++;
      const msStr = String(((ms % 1000) + 1000) % 1000).padStart(3, '0');
      out += (msStr + '000000').slice(0, n);
      i += n - 1;
      continue;
    }
    if (ch !== '%' || i + 1 >= fmt.length) { out += ch; continue; }
    const c = fmt[++i];
    switch (c) {
      case 'Y': out += String(get.Y); break;
      case 'y': out += pad2(get.Y % 100); break;
      case 'm': out += pad2(get.m + 1); break;
      case 'd': out += pad2(get.d); break;
      case 'e': out += String(get.d).padStart(2, ' '); break;
      case 'H': out += pad2(get.H); break;
      case 'M': out += pad2(get.M); break;
      case 'S': out += pad2(get.S); break;
      case 'T': out += `${pad2(get.H)}:${pad2(get.M)}:${pad2(get.S)}`; break;
      case 'F': out += `${get.Y}-${pad2(get.m + 1)}-${pad2(get.d)}`; break;
      case 'b': case 'h': out += MONTHS[get.m]; break;
      case 'a': out += DAYS[get.w]; break;
      case 's': out += String(Math.floor(ms / 1000)); break;
      case 'Z': out += utc ? 'UTC' : ''; break;
      case '%': out += '%'; break;
      default: out += '%' + c;
    }
  }
  return out;
}

interface ModuleState {
  name: string;
  levels: number[]; // indexed like DESTINATIONS
  honorRateLimits: boolean;
}

/** A log module: `const log = vlog.module('ovsdb_server'); log.info('...')`. */
export class VlogModule {
  constructor(private readonly owner: Vlog, readonly state: ModuleState) {}
  get name(): string { return this.state.name; }
  emer(msg: string): void { this.owner.log(this.state, 1, msg); }
  err(msg: string): void { this.owner.log(this.state, 2, msg); }
  warn(msg: string): void { this.owner.log(this.state, 3, msg); }
  info(msg: string): void { this.owner.log(this.state, 4, msg); }
  dbg(msg: string): void { this.owner.log(this.state, 5, msg); }
  /** True when a message at `level` would reach some destination. */
  isEnabled(level: VlogLevel): boolean { return this.owner.isEnabled(this.state, levelIndex(level)); }
}

/** Parsed logging options, applied in order by Vlog.applyOptions (so a detaching daemon can
 *  parse its command line before any side effect and apply it in the detached child). */
export type VlogOption =
  | { kind: 'verbose'; spec?: string }
  | { kind: 'log-file'; file?: string }
  | { kind: 'syslog-method'; method: string }
  | { kind: 'syslog-target'; target: string };

/** Recognises the vlog options of OVS programs (`-v[SPEC]`, `--verbose[=SPEC]`, `--log-file[=FILE]`,
 *  `--syslog-method=M`, `--syslog-target=H:P`). `next` supplies the following argv word for the
 *  options that take a required argument in a separate word. Returns undefined when `arg` is not one. */
export function parseVlogOption(arg: string, next: () => string | undefined): VlogOption | undefined {
  if (arg === '-v' || arg === '--verbose') return { kind: 'verbose' };
  if (arg.startsWith('-v') && !arg.startsWith('--')) return { kind: 'verbose', spec: arg.slice(2) };
  if (arg.startsWith('--verbose=')) return { kind: 'verbose', spec: arg.slice('--verbose='.length) };
  if (arg === '--log-file') return { kind: 'log-file' };
  if (arg.startsWith('--log-file=')) return { kind: 'log-file', file: arg.slice('--log-file='.length) };
  for (const name of ['syslog-method', 'syslog-target'] as const) {
    if (arg === `--${name}` || arg.startsWith(`--${name}=`)) {
      const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : next();
      if (v === undefined) throw new VlogError(`option '--${name}' requires an argument`);
      return name === 'syslog-method' ? { kind: name, method: v } : { kind: name, target: v };
    }
  }
  return undefined;
}

export interface VlogCommandHost {
  register(name: string, usage: string, minArgs: number, maxArgs: number,
    handler: (args: string[]) => string | undefined | Promise<string | undefined>): void;
}

/** The logging state of one process. Use the shared instance `vlog`. */
export class Vlog {
  programName = 'ovs-engine';
  private modules = new Map<string, ModuleState>();
  private patterns: Record<VlogDestination, string> = { ...DEFAULT_PATTERNS };
  private seq = 0;
  private logFileName: string | undefined;
  private logFd = -1;
  private facility = 0;
  private syslogSocket: { sock: DgramSocket; host: string; port: number } | undefined;
  private defaultLevels = [4, 4, 4];
  /** Where console lines go (stderr); replaceable for tests. */
  consoleWrite: (line: string) => void = (line) => {
    try { process.stderr.write(line); } catch { /* stderr gone (detached daemon) */ }
  };
  /** Clock; replaceable for tests. */
  now: () => number = () => Date.now();

  constructor() {
    for (const m of WELL_KNOWN_MODULES) this.module(m);
  }

  module(name: string): VlogModule {
    let st = this.modules.get(name.toLowerCase());
    if (!st) {
      st = { name, levels: [...this.defaultLevels], honorRateLimits: true };
      this.modules.set(name.toLowerCase(), st);
    }
    return new VlogModule(this, st);
  }

  hasModule(name: string): boolean { return this.modules.has(name.toLowerCase()); }

  /** Sets `level` for `module` (all when undefined) at `destination` (all when undefined). */
  setLevels(module: string | undefined, destination: VlogDestination | undefined, level: VlogLevel): void {
    const li = levelIndex(level);
    const dests = destination === undefined ? [0, 1, 2] : [destinationIndex(destination)];
    const mods = module === undefined ? [...this.modules.values()] : [this.modules.get(module.toLowerCase())];
    for (const m of mods) {
      if (!m) throw new VlogError(`no destination, level, or module "${module}"`);
      for (const d of dests) m.levels[d] = li;
    }
    if (module === undefined) for (const d of dests) this.defaultLevels[d] = li;
  }

  getLevel(module: string, destination: VlogDestination): VlogLevel {
    const m = this.modules.get(module.toLowerCase());
    if (!m) throw new VlogError(`no module "${module}"`);
    return LEVELS[m.levels[destinationIndex(destination)]];
  }

  setPattern(destination: VlogDestination | undefined, pattern: string): void {
    for (const d of destination === undefined ? DESTINATIONS : [destination]) this.patterns[d] = pattern;
  }

  /** vlog_set_levels_from_string: returns an error message (OVS's wording) or undefined. */
  setLevelsFromString(spec: string): string | undefined {
    const words = spec.split(/[ ,:\t]+/).filter((w) => w !== '');
    const first = words[0];
    if (first !== undefined && first.toUpperCase() === 'PATTERN') {
      // The pattern is the rest of the string after "PATTERN:<destination>:", delimiters included.
      const m = /^[ ,:\t]*[^ ,:\t]+[ ,:\t]+([^ ,:\t]+)[ ,:\t]?(.*)$/s.exec(spec);
      const dest = words[1];
      if (!dest || !m) return 'missing destination';
      let d: VlogDestination | undefined;
      if (dest.toUpperCase() !== 'ANY') {
        const di = destinationIndex(dest);
        if (di < 0) return `unknown destination "${dest}"`;
        d = DESTINATIONS[di];
      }
      this.setPattern(d, m[2]);
      return undefined;
    }
    if (first !== undefined && first.toUpperCase() === 'FACILITY') {
      const rest = spec.replace(/^[ ,:\t]*[^ ,:\t]+[ ,:\t]?/, '');
      const f = FACILITIES[rest.toLowerCase()];
      if (f === undefined) return 'invalid facility';
      this.facility = f;
      return undefined;
    }
    let module: string | undefined;
    let level: number | undefined;
    let destination: number | undefined;
    for (const w of words) {
      if (w.toUpperCase() === 'ANY') continue;
      if (destinationIndex(w) >= 0) {
        if (destination !== undefined) return 'cannot specify multiple destinations';
        destination = destinationIndex(w);
      } else if (levelIndex(w) >= 0) {
        if (level !== undefined) return 'cannot specify multiple levels';
        level = levelIndex(w);
      } else if (this.modules.has(w.toLowerCase())) {
        if (module !== undefined) return 'cannot specify multiple modules';
        module = w;
      } else {
        return `no destination, level, or module "${w}"`;
      }
    }
    this.setLevels(module, destination === undefined ? undefined : DESTINATIONS[destination], LEVELS[level ?? 5]);
    return undefined;
  }

  /** vlog_set_verbosity: no spec = everything at dbg; a bad spec throws `processing "SPEC": why`. */
  setVerbosity(spec?: string): void {
    if (spec === undefined) { this.setLevels(undefined, undefined, 'dbg'); return; }
    const err = this.setLevelsFromString(spec);
    if (err) throw new VlogError(`processing "${spec}": ${err}`);
  }

  get logFile(): string | undefined { return this.logFileName; }

  /** Opens `file` (default <logdir>/<program>.log) for appending and logs there from now on.
   *  Returns 0 or the failure's errno code string (as OVS returns an errno). */
  setLogFile(file?: string): string | 0 {
    const name = file ?? join(ovsLogdir(), `${this.programName}.log`);
    let fd: number;
    try {
      if (file === undefined) mkdirSync(dirname(name), { recursive: true });
      fd = openSync(name, 'a', 0o660);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      this.module('vlog').warn(`failed to open ${name} for logging: ${strerror(err)}`);
      return err.code ?? 'EIO';
    }
    if (this.logFd >= 0) {
      const a = fstatSync(this.logFd);
      const b = fstatSync(fd);
      if (a.dev === b.dev && a.ino === b.ino) { closeSync(fd); return 0; }
      this.module('vlog').info('closing log file');
      closeSync(this.logFd);
    }
    this.logFd = fd;
    this.logFileName = name;
    this.module('vlog').info(`opened log file ${name}`);
    return 0;
  }

  /** vlog/reopen: re-opens the current log file by name (after rotation). */
  reopenLogFile(): string | 0 {
    return this.logFileName === undefined ? 0 : this.setLogFile(this.logFileName);
  }

  /** vlog/close. */
  closeLogFile(): void {
    if (this.logFd >= 0) { closeSync(this.logFd); this.logFd = -1; }
  }

  setSyslogMethod(method: string): void {
    if (method === 'libc' || method.startsWith('unix:')) return; // no syslog(3) from Node: accepted, not sent
    if (method.startsWith('udp:')) { this.setSyslogTarget(method.slice(4)); return; }
    throw new VlogError(`unsupported syslog method '${method}'`);
  }

  setSyslogTarget(target: string): void {
    const i = target.lastIndexOf(':');
    const host = i > 0 ? target.slice(0, i) : target;
    const port = i > 0 ? Number(target.slice(i + 1)) : 514;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new VlogError(`${target}: bad port number`);
    this.syslogSocket?.sock.close();
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    sock.unref();
    sock.on('error', () => { /* best effort, as OVS */ });
    this.syslogSocket = { sock, host: host.replace(/^\[|\]$/g, ''), port };
  }

  applyOptions(options: VlogOption[]): void {
    for (const o of options) {
      switch (o.kind) {
        case 'verbose': this.setVerbosity(o.spec); break;
        case 'log-file': {
          const err = this.setLogFile(o.file);
          if (err && o.file !== undefined) throw new VlogError(`cannot open log file ${o.file}`);
          break;
        }
        case 'syslog-method': this.setSyslogMethod(o.method); break;
        case 'syslog-target': this.setSyslogTarget(o.target); break;
      }
    }
  }

  isEnabled(m: ModuleState, level: number): boolean {
    return m.levels[1] >= level || m.levels[0] >= level || (this.logFd >= 0 && m.levels[2] >= level);
  }

  log(m: ModuleState, level: number, msg: string): void {
    const toConsole = m.levels[1] >= level;
    const toSyslog = m.levels[0] >= level && this.syslogSocket !== undefined;
    const toFile = m.levels[2] >= level && this.logFd >= 0;
    if (!toConsole && !toSyslog && !toFile) return;
    this.seq++;
    const now = this.now();
    if (toConsole) {
      const line = this.format(this.patterns.console, m, level, msg, now) + '\n';
      if (this.batching > 0) this.consoleBuf += line;
      else this.consoleWrite(line);
    }
    if (toSyslog && this.syslogSocket) {
      const s = this.syslogSocket;
      const line = this.format(SYSLOG_PREFIX + ' ' + this.patterns.syslog, m, level, msg, now);
      s.sock.send(line, s.port, s.host);
    }
    if (toFile) {
      const line = this.format(this.patterns.file, m, level, msg, now) + '\n';
      if (this.batching > 0) this.fileBuf += line;
      else this.writeFile(line);
    }
  }

  /** Log file and console lines of the batch in progress (batchWrites), in order. */
  private fileBuf = '';
  private consoleBuf = '';
  private batching = 0;

  /** Runs `fn`; the log file lines and the console lines it makes (of any module) go out in one
   *  write each when it returns, in sequence-number order (for a caller that logs many lines at
   *  once, e.g. the audit trail's batch: a write per line, each through stderr's stream, was a
   *  tenth of the server's time). */
  batchWrites(fn: () => void): void {
    this.batching++;
    try {
      fn();
    } finally {
      if (--this.batching === 0) {
        if (this.fileBuf !== '') {
          const text = this.fileBuf;
          this.fileBuf = '';
          this.writeFile(text);
        }
        if (this.consoleBuf !== '') {
          const text = this.consoleBuf;
          this.consoleBuf = '';
          this.consoleWrite(text);
        }
      }
    }
  }

  private writeFile(text: string): void {
    if (this.logFd < 0) return;
    try { writeSync(this.logFd, text); } catch { /* disk full: drop */ }
  }

  /** Expands an OVS log pattern (%A %B %c %d %D %E %m %N %n %p %P %r %t %T, with width/justification).
   *  The pattern is parsed once (compilePattern) and each date field's text is reused while the
   *  millisecond is the same. */
  format(pattern: string, m: ModuleState, level: number, msg: string, now: number): string {
    let parts = this.compiled.get(pattern);
    if (!parts) {
      parts = compilePattern(pattern);
      if (this.compiled.size > 64) this.compiled.clear();
      this.compiled.set(pattern, parts);
    }
    let out = '';
    for (const p of parts) {
      if (typeof p === 'string') { out += p; continue; }
      let field: string;
      switch (p.conv) {
        case 'A': field = this.programName; break;
        case 'B': field = String((this.facility || LOCAL0) + SYSLOG_SEVERITY[level]); break;
        case 'c': field = m.name; break;
        case 'd': case 'D':
          if (p.dateMs !== now) { p.dateMs = now; p.dateText = strftimeMsec(p.arg, now, p.conv === 'D'); }
          field = p.dateText;
          break;
        case 'E': field = hostname(); break;
        case 'm': field = msg.charCodeAt(msg.length - 1) === 10 ? msg.replace(/\n+$/, '') : msg; break;
        case 'N': field = String(this.seq); break;
        case 'n': field = '\n'; break;
        case 'p': field = LEVEL_NAMES[level]; break;
        case 'P': field = String(process.pid); break;
        case 'r': field = String(Math.round(process.uptime() * 1000)); break;
        case 't': field = 'main'; break;
        case 'T': field = ''; break;
        case '': field = ''; break;
        default: field = p.conv;
      }
      const width = p.width;
      if (field.length < width) field = p.left ? field + p.padChar.repeat(width - field.length) : p.padChar.repeat(width - field.length) + field;
      out += field;
    }
    return out;
  }

  /** Parsed log patterns (there are a handful: one per destination). */
  private readonly compiled = new Map<string, PatternPart[]>();

  /** vlog/list output. */
  listLevels(): string {
    let s = '                 console    syslog    file\n';
    s += '                 -------    ------    ------\n';
    const lines = [...this.modules.values()].map((m) => {
      const c = LEVEL_NAMES[m.levels[1]].padStart(4);
      const y = LEVEL_NAMES[m.levels[0]].padStart(4);
      const f = LEVEL_NAMES[m.levels[2]].padStart(4);
      return `${m.name.padEnd(16)}  ${c}       ${y}       ${f}${m.honorRateLimits ? '' : '    (rate limiting disabled)'}\n`;
    });
    lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return s + lines.join('');
  }

  /** vlog/list-pattern output. */
  listPatterns(): string {
    let s = '         prefix                            format\n';
    s += '         ------                            ------\n';
    for (const d of DESTINATIONS) {
      const prefix = d === 'syslog' ? SYSLOG_PREFIX : 'none';
      s += `${d.toUpperCase().padEnd(7)}  ${prefix.padEnd(32)}  ${this.patterns[d]}\n`;
    }
    return s;
  }

  /** Registers vlog/set, vlog/list, vlog/list-pattern, vlog/enable-rate-limit,
   *  vlog/disable-rate-limit, vlog/reopen and vlog/close with a control server. */
  registerCommands(host: VlogCommandHost): void {
    host.register('vlog/set', '{spec | PATTERN:destination:pattern}', 1, Number.MAX_SAFE_INTEGER, (args) => {
      for (const a of args) {
        const err = this.setLevelsFromString(a);
        if (err) throw new VlogError(err);
      }
      return undefined;
    });
    host.register('vlog/list', '', 0, 0, () => this.listLevels());
    host.register('vlog/list-pattern', '', 0, 0, () => this.listPatterns());
    const rate = (enable: boolean) => (args: string[]) => {
      const all = args.length === 0 || args.some((a) => a.toUpperCase() === 'ANY');
      for (const a of args) if (a.toUpperCase() !== 'ANY' && !this.modules.has(a.toLowerCase())) throw new VlogError('unknown module');
      for (const m of this.modules.values()) if (all || args.some((a) => a.toLowerCase() === m.name.toLowerCase())) m.honorRateLimits = enable;
      return undefined;
    };
    host.register('vlog/enable-rate-limit', '[module]...', 0, Number.MAX_SAFE_INTEGER, rate(true));
    host.register('vlog/disable-rate-limit', '[module]...', 0, Number.MAX_SAFE_INTEGER, rate(false));
    host.register('vlog/reopen', '', 0, 0, () => {
      if (this.logFileName === undefined) throw new VlogError('Logging to file not configured');
      const err = this.reopenLogFile();
      if (err) throw new VlogError(strerror({ code: err } as NodeJS.ErrnoException));
      return undefined;
    });
    host.register('vlog/close', '', 0, 0, () => { this.closeLogFile(); return undefined; });
  }

  /** Forgets all state (tests). */
  reset(): void {
    this.closeLogFile();
    this.logFileName = undefined;
    this.modules.clear();
    this.defaultLevels = [4, 4, 4];
    this.patterns = { ...DEFAULT_PATTERNS };
    this.seq = 0;
    this.facility = 0;
    for (const m of WELL_KNOWN_MODULES) this.module(m);
  }
}

/** One conversion of a log pattern (`%-10c`, `%D{%H:%M}`...), parsed once. */
interface PatternConv {
  conv: string;
  width: number;
  left: boolean;
  padChar: string;
  /** The strftime format of %d/%D. */
  arg: string;
  /** The last date text made for %d/%D and the millisecond it is for. */
  dateMs: number;
  dateText: string;
}
type PatternPart = string | PatternConv;

/** Splits a log pattern into literal text and conversions, exactly as format() reads them. */
function compilePattern(pattern: string): PatternPart[] {
  const parts: PatternPart[] = [];
  let lit = '';
  for (let i = 0; i < pattern.length;) {
    const ch = pattern[i];
    if (ch !== '%') { lit += ch; i++; continue; }
    i++;
    let left = false;
    if (pattern[i] === '-') { left = true; i++; }
    let padChar = ' ';
    if (pattern[i] === '0') { padChar = '0'; i++; }
    let width = 0;
    while (i < pattern.length && pattern[i] >= '0' && pattern[i] <= '9') width = width * 10 + Number(pattern[i++]);
    const conv = pattern[i++] ?? '';
    const braces = (def: string): string => {
      if (pattern[i] === '{') {
        const end = pattern.indexOf('}', i + 1);
        const inner = end < 0 ? pattern.slice(i + 1) : pattern.slice(i + 1, end);
        i = end < 0 ? pattern.length : end + 1;
        return inner;
      }
      return def;
    };
    let arg = '';
    if (conv === 'c') braces('');
    else if (conv === 'd' || conv === 'D') arg = braces('%Y-%m-%d %H:%M:%S.###');
    if (lit !== '') { parts.push(lit); lit = ''; }
    parts.push({ conv, width, left, padChar, arg, dateMs: NaN, dateText: '' });
  }
  if (lit !== '') parts.push(lit);
  return parts;
}

/** The process-wide logging state. */
export const vlog = new Vlog();
