import t from 'tap';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Vlog, parseVlogOption, strftimeMsec } from '../../engine/util/vlog.js';

const FIXED = Date.UTC(2026, 10, 25, 21, 31, 29, 123);

function fresh(): { v: Vlog; lines: string[] } {
  const v = new Vlog();
  const lines: string[] = [];
  v.consoleWrite = (l) => lines.push(l);
  v.now = () => FIXED;
  v.programName = 'test-prog';
  return { v, lines };
}

t.test('console lines use OVS format with sequence numbers and levels', async (t) => {
  const { v, lines } = fresh();
  const m = v.module('ovsdb_server');
  m.info('ovsdb-server (Open vSwitch) 3.1.0');
  m.warn('second\n');
  m.dbg('not shown at the default info level');
  t.same(lines, [
    '2026-11-25T21:31:29Z|00001|ovsdb_server|INFO|ovsdb-server (Open vSwitch) 3.1.0\n',
    '2026-11-25T21:31:29Z|00002|ovsdb_server|WARN|second\n',
  ]);
  v.setLevels('ovsdb_server', 'console', 'dbg');
  m.dbg('now shown');
  t.equal(lines[2], '2026-11-25T21:31:29Z|00003|ovsdb_server|DBG|now shown\n');
  v.setLevels(undefined, 'console', 'off');
  m.emer('hidden');
  t.equal(lines.length, 3, 'console off drops everything');
});

t.test('file destination has milliseconds and its own level; reopen follows rotation', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'h6vlog-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { v } = fresh();
  const file = join(dir, 'x.log');
  t.equal(v.setLogFile(file), 0);
  v.setLevels(undefined, 'console', 'off');
  const m = v.module('jsonrpc');
  m.info('hello');
  m.dbg('below file level');
  t.equal(readFileSync(file, 'utf8'),
    `2026-11-25T21:31:29.123Z|00001|vlog|INFO|opened log file ${file}\n`
    + '2026-11-25T21:31:29.123Z|00002|jsonrpc|INFO|hello\n');
  renameSync(file, file + '.1');
  t.equal(v.reopenLogFile(), 0);
  m.warn('after rotation');
  t.match(readFileSync(file + '.1', 'utf8'), /\|00003\|vlog\|INFO\|closing log file\n$/);
  t.equal(readFileSync(file, 'utf8'),
    `2026-11-25T21:31:29.123Z|00004|vlog|INFO|opened log file ${file}\n`
    + '2026-11-25T21:31:29.123Z|00005|jsonrpc|WARN|after rotation\n');
  t.equal(v.reopenLogFile(), 0, 'reopening the same file is a no-op');
  t.equal(readFileSync(file, 'utf8').split('\n').length, 3);
  t.equal(v.setLogFile(join(dir, 'missing', 'deeper', 'y.log')), 'ENOENT', 'an explicit file in a missing directory fails');
});

t.test('vlog/set spec parsing and errors as OVS words them', async (t) => {
  const { v } = fresh();
  t.equal(v.setLevelsFromString('bogus'), 'no destination, level, or module "bogus"');
  t.equal(v.setLevelsFromString('file:info:warn'), 'cannot specify multiple levels');
  t.equal(v.setLevelsFromString('jsonrpc:vlog'), 'cannot specify multiple modules');
  t.equal(v.setLevelsFromString('file:console'), 'cannot specify multiple destinations');
  t.equal(v.setLevelsFromString('PATTERN:nowhere:%m'), 'unknown destination "nowhere"');
  t.equal(v.setLevelsFromString('FACILITY:nope'), 'invalid facility');
  t.equal(v.setLevelsFromString('jsonrpc:file:dbg'), undefined);
  t.equal(v.getLevel('jsonrpc', 'file'), 'dbg');
  t.equal(v.getLevel('jsonrpc', 'console'), 'info');
  t.equal(v.setLevelsFromString('console:warn'), undefined);
  t.equal(v.getLevel('vlog', 'console'), 'warn');
  t.equal(v.setLevelsFromString('ANY:ANY:err'), undefined);
  t.equal(v.getLevel('unixctl', 'syslog'), 'err');
  t.equal(v.setLevelsFromString('reconnect'), undefined, 'a bare module means all destinations at dbg');
  t.equal(v.getLevel('reconnect', 'file'), 'dbg');
  t.throws(() => v.setVerbosity('nonsense'), { message: 'processing "nonsense": no destination, level, or module "nonsense"' });
  v.setVerbosity();
  t.equal(v.getLevel('vlog', 'console'), 'dbg');
});

t.test('PATTERN changes a destination format; list-pattern and list output match OVS layout', async (t) => {
  const { v, lines } = fresh();
  t.equal(v.setLevelsFromString('PATTERN:console:%c|%p|%-8A|%5N|%m'), undefined);
  v.module('vlog').info('x');
  t.equal(lines[0], 'vlog|INFO|test-prog|    1|x\n');
  t.equal(v.listPatterns().split('\n')[2], 'SYSLOG   <%B> %D{%h %e %T} %E %A:          ovs|%05N|%c%T|%p|%m');
  t.equal(v.listPatterns().split('\n')[3], 'CONSOLE  none                              %c|%p|%-8A|%5N|%m');
  v.setLevels(undefined, 'console', 'off');
  const list = v.listLevels().split('\n');
  t.equal(list[0], '                 console    syslog    file');
  t.equal(list[1], '                 -------    ------    ------');
  t.ok(list.includes('vlog               OFF       INFO       INFO'), 'module line as ovsdb-server prints it');
  t.ok(list.includes('ovsdb_jsonrpc_server   OFF       INFO       INFO'), 'long names push the columns right, as OVS');
  const sorted = list.slice(2).filter((l) => l !== '');
  t.same(sorted, [...sorted].sort(), 'modules sorted');
});

t.test('strftime subset and option parsing', async (t) => {
  t.equal(strftimeMsec('%Y-%m-%dT%H:%M:%S.###Z', FIXED, true), '2026-11-25T21:31:29.123Z');
  t.equal(strftimeMsec('%h %e %T', FIXED, true), 'Nov 25 21:31:29');
  t.same(parseVlogOption('-v', () => undefined), { kind: 'verbose' });
  t.same(parseVlogOption('-vconsole:warn', () => undefined), { kind: 'verbose', spec: 'console:warn' });
  t.same(parseVlogOption('--verbose=file:dbg', () => undefined), { kind: 'verbose', spec: 'file:dbg' });
  t.same(parseVlogOption('--log-file', () => undefined), { kind: 'log-file' });
  t.same(parseVlogOption('--log-file=/x.log', () => undefined), { kind: 'log-file', file: '/x.log' });
  t.same(parseVlogOption('--syslog-method', () => 'udp:127.0.0.1:514'), { kind: 'syslog-method', method: 'udp:127.0.0.1:514' });
  t.equal(parseVlogOption('--pidfile', () => undefined), undefined);
});

t.test('batchWrites: the lines logged inside go out in one write per destination, in order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vlogbatch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { v, lines } = fresh();
  const file = join(dir, 'b.log');
  t.equal(v.setLogFile(file), 0);
  const m = v.module('audit');
  const before = readFileSync(file, 'utf8');
  lines.length = 0; // "opened log file"
  v.batchWrites(() => {
    m.info('one');
    v.batchWrites(() => m.info('two (nested batch)'));
    t.equal(lines.length, 0, 'nothing written to the console while the batch runs');
    t.equal(readFileSync(file, 'utf8'), before, 'nor to the file');
    m.warn('three');
  });
  t.same(lines, [
    '2026-11-25T21:31:29Z|00002|audit|INFO|one\n2026-11-25T21:31:29Z|00003|audit|INFO|two (nested batch)\n2026-11-25T21:31:29Z|00004|audit|WARN|three\n',
  ], 'one console write holding the three lines');
  t.match(readFileSync(file, 'utf8').slice(before.length), /^2026-11-25T21:31:29\.123Z\|00002\|audit\|INFO\|one\n.*\|00003\|.*\n.*\|00004\|audit\|WARN\|three\n$/);
  m.info('after');
  t.equal(lines.length, 2, 'outside a batch each line is written at once');
  t.throws(() => v.batchWrites(() => { m.info('thrown'); throw new Error('boom'); }), /boom/);
  t.match(lines[2], /\|00006\|audit\|INFO\|thrown\n$/, 'a batch that throws still writes its lines');
});
