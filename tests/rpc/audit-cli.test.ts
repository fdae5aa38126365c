// The options end to end: our ovsdb-server as a process (engine/bin/ovsdb-server) with
// --max-connections and --audit-file; our ovs-vsctl changes the database; the log file has the
// audit line (vlog module "audit") with the ovs-vsctl process's credentials, the audit file has
// the JSON record, ovs-appctl ovsdb-server/limits shows the limit, and a connection over the limit
// is refused with a log line.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { daemonFiles, runBin, waitFor } from './helpers.js';

const run = runBin;

t.test('ovsdb-server --max-connections --audit-file, driven by ovs-vsctl and ovs-appctl', { skip: process.platform !== 'linux' && 'unix sockets and SO_PEERCRED' }, async (t) => {
  const { dir, db, sock, ctl, log, pidfile } = await daemonFiles(t, 'ovsps-h21-cli-');
  const s = await run('ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${pidfile}`, `--log-file=${log}`, `--remote=punix:${sock}`,
    `--unixctl=${ctl}`, '--max-connections=2', `--audit-file=${join(dir, 'audit.jsonl')}`, db]);
  t.equal(s.status, 0, `ovsdb-server started ${s.stderr}`);

  const v = await run('ovs-vsctl', [`--db=unix:${sock}`, '--no-wait', '--timeout=20', 'init', '--', 'add-br', 'br0']);
  t.equal(v.status, 0, `ovs-vsctl add-br ${v.stderr}`);
  await waitFor(() => /\|audit\|INFO\|.*add-br|insert Bridge/.test(readFileSync(log, 'utf8')), 'the audit line');
  const line = readFileSync(log, 'utf8').split('\n').find((l) => /\|audit\|INFO\|.*insert Bridge/.test(l)) ?? '';
  t.match(line, /\|audit\|INFO\|unix#\d+ \[unix pid=\d+ uid=\d+ gid=\d+ \(.+\)\] transact Open_vSwitch: .*insert Bridge [0-9a-f-]{36}.*: committed$/, 'log line: who and what');
  const recs = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((x) => JSON.parse(x) as { kind: string; summary: string; peer: { pid?: number } });
  const rec = recs.find((r) => r.kind === 'transact' && /insert Bridge/.test(r.summary));
  t.ok(rec && typeof rec.peer.pid === 'number' && rec.peer.pid !== process.pid, 'audit file record with the ovs-vsctl pid');

  const a = await run('ovs-appctl', ['-t', ctl, 'ovsdb-server/limits']);
  t.match(a.stdout, /^maxConnections \(--max-connections\): 2 connections, 0 breaches$/m, 'ovs-appctl ovsdb-server/limits');

  const held = [connect(sock), connect(sock)];
  for (const h of held) h.on('error', () => {});
  await new Promise((r) => setTimeout(r, 200));
  const extra = connect(sock);
  extra.on('error', () => {});
  let got = '';
  extra.on('data', (d: Buffer) => { got += d; });
  await new Promise<void>((r) => extra.once('close', () => r()));
  t.match(got, /"resources exhausted"/, 'the third connection gets an error and is closed');
  await waitFor(() => /maxConnections exceeded: 3 connections, the limit is 2 connections; connection refused/.test(readFileSync(log, 'utf8')), 'refusal logged');
  for (const h of held) h.destroy();
});
