// `npm start` and Start-OvsEngine: the engine as ONE process hosting both roles — the OVSDB server
// (ovsdb-server's options and control commands, engine/main.ts) and the switch (ovs-vswitchd's job,
// engine/vswitch) — plus the management API the PowerShell module calls. The process also answers
// as "ovsdb-server" and "ovs-vswitchd" to ovs-appctl (pidfiles and control sockets under those
// names), so `ovs-appctl -t ovsdb-server exit` and `ovs-appctl fdb/show br0` work as in the seed.
//
// Own options (the rest are ovsdb-server's): --rundir=DIR, --logdir=DIR, --dbdir=DIR (set the OVS_*
// directories), --no-switch (database only), --datapath=NAME (default ovs-system),
// --datapath-transport=userspace|windows|windows-sim|kernel (see engine/vswitch/component.ts),
// --reconcile[-wait=SECONDS] (the boot pass of engine/setup/boot-reconcile.ts: re-creates recorded
// VMs, waits up to SECONDS (default 60) for missing devices, reports what it could not restore).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerManagementMethods } from './mgmt/methods.js';
import { ENGINE_PROGRAM, registerEngineComponent, startEngine, type EngineContext } from './main.js';
import { exitCleanly, makePidfile, makePidfileName, OVS_COMPAT_VERSION } from './util/daemon.js';
import { ovsRundir } from './util/ovs-paths.js';
import { runBootReconcile, type ReconcileReport } from './setup/boot-reconcile.js';
import { UnixctlServer } from './util/unixctl.js';
import { vlog } from './util/vlog.js';
import { startLocalSwitch, type RunningSwitch } from './vswitch/component.js';
import type { VSwitch } from './vswitch/vswitch.js';

const log = vlog.module('ovs_engine');

export interface EngineFlags { noSwitch: boolean; datapath?: string; reconcile?: { waitMs: number }; rest: string[] }

/** Takes the engine's own options out of argv (setting the OVS_* directory variables). */
export function parseEngineFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): EngineFlags {
  const out: EngineFlags = { noSwitch: false, rest: [] };
  for (const a of argv) {
    const m = /^--(rundir|logdir|dbdir|datapath|datapath-transport)=(.*)$/.exec(a);
    if (m) {
      const v = m[2]!;
      if (!v) throw new Error(`${a}: missing value`);
      if (m[1] === 'datapath') out.datapath = v;
      else if (m[1] === 'datapath-transport') {
        if (v !== 'userspace' && v !== 'windows' && v !== 'windows-sim' && v !== 'kernel') throw new Error(`${a}: expected userspace, windows, windows-sim or kernel`);
        env.OVS_DATAPATH_TRANSPORT = v;
      }
      else env[`OVS_${m[1]!.toUpperCase()}`] = resolve(v);
      continue;
    }
    if (a === '--no-switch') { out.noSwitch = true; continue; }
    if (a === '--reconcile') { out.reconcile = { waitMs: out.reconcile?.waitMs ?? 60_000 }; continue; }
    const rw = /^--reconcile-wait=(.*)$/.exec(a);
    if (rw) {
      const secs = Number(rw[1]);
      if (!/^\d+(\.\d+)?$/.test(rw[1]!) || secs > 3600) throw new Error(`${a}: expected a number of seconds from 0 to 3600`);
      out.reconcile = { waitMs: secs * 1000 };
      continue;
    }
    out.rest.push(a);
  }
  return out;
}

/** Answers to ovs-appctl under another daemon's name: pidfile + control socket. */
async function aliasControl(program: string): Promise<UnixctlServer | undefined> {
  try {
    makePidfile(makePidfileName(undefined, program), false);
    return await UnixctlServer.create({ programName: program, version: `${program} (Open vSwitch) ${OVS_COMPAT_VERSION}` });
  } catch (e) {
    log.warn(`not answering as ${program}: ${(e as Error).message}`);
    return undefined;
  }
}

export async function runEngine(argv: string[]): Promise<EngineContext> {
  const flags = parseEngineFlags(argv);
  const started = new Date().toISOString();
  let sw: VSwitch | undefined;
  registerEngineComponent(async (ctx) => {
    registerManagementMethods(ctx.server, {
      database: ctx.database,
      vswitch: () => sw,
      exit: () => { void exitCleanly(0); },
      info: () => ({
        pid: process.pid, version: OVS_COMPAT_VERSION, program: ENGINE_PROGRAM, databasePath: ctx.database.path,
        runDirectory: ovsRundir(), socket: `unix:${ovsRundir()}/db.sock`, switchRunning: sw !== undefined, startTime: started,
      }),
    });
    const dbAlias = await aliasControl('ovsdb-server');
    if (dbAlias) ctx.runner.registerCommands(dbAlias, () => { void exitCleanly(0); });
    const swAlias = flags.noSwitch ? undefined : await aliasControl('ovs-vswitchd');
    if (swAlias) {
      swAlias.register('exit', '', 0, 1, () => { setImmediate(() => void exitCleanly(0)); return undefined; });
      vlog.registerCommands(swAlias);
    }
    const closers: Array<() => Promise<void>> = [];
    if (dbAlias) closers.push(() => dbAlias.close());
    if (swAlias) closers.push(() => swAlias.close());
    let running: RunningSwitch | undefined;
    if (!flags.noSwitch) {
      try {
        running = await startLocalSwitch(ctx.database, { datapath: flags.datapath, unixctl: [ctx.unixctl, ...(swAlias ? [swAlias] : [])] });
        sw = running.sw;
        log.info(`switch started on datapath ${flags.datapath ?? 'ovs-system'}`);
        if (flags.reconcile) {
          let report: ReconcileReport | undefined;
          ctx.unixctl.register('engine/reconcile-report', '', 0, 0, () => (report ? JSON.stringify(report, null, 2) : 'the reconcile pass is still running'));
          const reconcileLog = vlog.module('reconcile');
          void runBootReconcile({
            database: ctx.database, sw: running.sw, reportPath: `${ovsRundir()}/reconcile-report.json`,
            waitMs: flags.reconcile.waitMs, log: { info: (m) => reconcileLog.info(m), warn: (m) => reconcileLog.warn(m) },
          }).then((r) => { report = r; }, (e: Error) => reconcileLog.err(`reconcile pass failed: ${e.message}`));
        }
      } catch (e) {
        log.err(`switch not started: ${(e as Error).message} (the database is still served; run as root for TAP devices)`);
      }
    }
    return async () => {
      sw = undefined;
      if (running) await running.stop().catch((e: Error) => log.warn(`stopping the switch: ${e.message}`));
      for (const c of closers) await c().catch(() => undefined);
    };
  });
  return startEngine(flags.rest);
}

export async function main(argv: string[]): Promise<void> {
  await runEngine(argv);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`${ENGINE_PROGRAM}: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
