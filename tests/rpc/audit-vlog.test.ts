// The audit trail's log lines follow vlog levels like any OVS module: our ovsdb-server process with
// `-vaudit:file:off` writes no audit line to its log file (that option used to be refused: "no
// destination, level, or module"), `ovs-appctl vlog/set audit:file:info` turns them on while it
// runs, and the audit lines, which go to the file in batches, are all there once the server has
// been stopped with SIGTERM right after its last transaction.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { connectOvsdb } from '../../engine/rpc/client.js';
import { daemonFiles, runBin, sleep, waitFor } from './helpers.js';

const run = runBin;

const gone = (pid: number): boolean => {
  try { process.kill(pid, 0); return false; } catch { return true; }
};

t.test('-vaudit:file:off, vlog/set audit:file:info, audit lines flushed at SIGTERM', { skip: process.platform === 'win32' && 'unix sockets' }, async (t) => {
  const { db, sock, ctl, log, pidfile } = await daemonFiles(t, 'ovsps-h33-audit-');
  let pid = 0;
  const s = await run('ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${pidfile}`, `--log-file=${log}`, `--remote=punix:${sock}`,
    `--unixctl=${ctl}`, '-vaudit:file:off', db]);
  t.equal(s.status, 0, `ovsdb-server -vaudit:file:off starts: ${s.stderr}`);
  if (s.status !== 0) return;
  pid = Number(readFileSync(pidfile, 'utf8'));

  const client = await connectOvsdb(`unix:${sock}`);
  const insert = (type: string) => client.transact('Open_vSwitch', [{ op: 'insert', table: 'QoS', row: { type } }]);
  const r1 = await insert('first-while-off');
  t.ok(r1[0] && typeof r1[0] === 'object' && 'uuid' in r1[0], 'transaction committed');
  const list = await run('ovs-appctl', ['-t', ctl, 'vlog/list']);
  t.match(list.stdout, /^audit\s+\S+\s+\S+\s+OFF$/m, 'vlog/list: audit is off for the file');
  await sleep(100); // longer than the file batching delay
  t.notMatch(readFileSync(log, 'utf8'), /\|audit\|/, 'no audit line in the log file while audit:file is off');

  const set = await run('ovs-appctl', ['-t', ctl, 'vlog/set', 'audit:file:info']);
  t.equal(set.status, 0, `vlog/set audit:file:info ${set.stderr}`);
  for (let i = 0; i < 5; i++) await insert(`on-${i}`);
  await client.close();
  // SIGTERM at once: the lines still waiting in the batch must reach the file before exit.
  process.kill(pid, 'SIGTERM');
  await waitFor(() => gone(pid), 'the server to exit');
  const text = readFileSync(log, 'utf8');
  const lines = text.split('\n').filter((l) => /\|audit\|INFO\|.* transact Open_vSwitch: insert QoS /.test(l));
  t.equal(lines.length, 5, 'one audit line per transaction after vlog/set, none for the one before');
  const seqs = text.split('\n').filter((l) => l !== '').map((l) => Number(l.split('|')[1]));
  t.same(seqs, [...seqs].sort((a, b) => a - b), 'log file lines in sequence number order');
  t.notOk(existsSync(pidfile), 'pidfile removed at exit');
});
