// ovs-vsctl: configures Open vSwitch through its OVSDB database. Thin process wrapper around
// engine/vsctl/cli.ts; the library (engine/vsctl/) is what the PowerShell API calls too.
import { join } from 'node:path';
import type { OvsdbClient } from '../ovsdb/api.js';
import { runVsctl } from '../vsctl/cli.js';
import type { TlsFiles } from '../rpc/tls-files.js';
import { projectRoot } from '../setup/paths.js';

function defaultDb(): string {
  const rundir = process.env.OVS_RUNDIR || join(projectRoot, 'var', 'run', 'openvswitch');
  return `unix:${rundir}/db.sock`;
}

async function connect(target: string, options?: { tls?: TlsFiles }): Promise<OvsdbClient> {
  // Loaded only when a command really needs the database (not for --help, usage errors).
  const { connectOvsdb } = await import('../rpc/client.js');
  return connectOvsdb(target, { tls: options?.tls });
}

export async function main(argv: string[]): Promise<void> {
  const out: string[] = [];
  const code = await runVsctl(argv, {
    connect,
    defaultDb: defaultDb(),
    logDir: process.env.OVS_LOGDIR || join(projectRoot, 'var', 'log', 'openvswitch'),
    io: {
      stdout: (t) => { out.push(t); },
      stderr: (t) => { process.stderr.write(t); },
    },
  });
  if (out.length) process.stdout.write(out.join(''));
  process.exitCode = code;
}
