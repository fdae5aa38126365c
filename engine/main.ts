// `npm start`: the engine as one process. It is ovsdb-server (same options, same control commands)
// with the project's defaults: the database ./var/lib/openvswitch/conf.db (created from
// manifests/vswitch.ovsschema, with its Open_vSwitch row, when missing), served on
// punix:./var/run/openvswitch/db.sock, control socket ./var/run/openvswitch/ovs-engine.<pid>.ctl,
// log ./var/log/openvswitch/ovs-engine.log, pidfile ./var/run/openvswitch/ovs-engine.pid (directories from OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR).
// Components such as the switch reconciler start in-process through ENGINE_COMPONENTS /
// registerEngineComponent once the database is served.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import type { OvsdbServer } from './rpc/server.js';
import { createDatabaseFile, type FileDatabase } from './ovsdb/file-db.js';
import { runServer, type OvsdbServerRunner } from './cli/ovsdb-server.js';
import type { UnixctlServer } from './util/unixctl.js';
import { addExitHook } from './util/daemon.js';
import { ovsDbdir, ovsDirs, ovsLogdir, ovsPkgdatadir, ovsRundir, type OvsDirs } from './util/ovs-paths.js';
import { vlog } from './util/vlog.js';

export const ENGINE_PROGRAM = 'ovs-engine';

/** What an in-process component gets: the served database and the server around it. */
export interface EngineContext {
  server: OvsdbServer;
  /** The Open_vSwitch database (a FileDatabase: in-process transact/onCommit/rows). */
  database: FileDatabase;
  runner: OvsdbServerRunner;
  /** Register extra control commands here (ovs-appctl -t ovs-engine ...). */
  unixctl: UnixctlServer;
  dirs: OvsDirs;
}

/** Starts a component; may return its stop function (run at exit). */
export type EngineComponent = (ctx: EngineContext) => Promise<(() => Promise<void> | void) | void> | (() => Promise<void> | void) | void;

/** Components started by `npm start`. THE HOOK: the switch reconciler (vswitch/) goes here. */
export const ENGINE_COMPONENTS: EngineComponent[] = [];

export function registerEngineComponent(c: EngineComponent): void {
  ENGINE_COMPONENTS.push(c);
}

const log = vlog.module('ovs_engine');

/** Creates `path` from the vswitch schema when it does not exist. */
export async function ensureConfDb(path: string): Promise<boolean> {
  if (existsSync(path)) return false;
  const schemaPath = join(ovsPkgdatadir(), 'vswitch.ovsschema');
  mkdirSync(dirname(path), { recursive: true });
  await createDatabaseFile(path, JSON.parse(readFileSync(schemaPath, 'utf8')));
  log.info(`created ${path} from ${schemaPath}`);
  return true;
}

/** What `ovs-vsctl init` does: the single Open_vSwitch row exists. */
export async function ensureOpenVswitchRow(db: FileDatabase): Promise<void> {
  if (db.name !== 'Open_vSwitch' || [...db.rows('Open_vSwitch')].length > 0) return;
  await db.transact([
    { op: 'insert', table: 'Open_vSwitch', row: {} },
    { op: 'comment', comment: `${ENGINE_PROGRAM}: initializing database` },
  ]);
}

/** Runs the engine with ovsdb-server's command line (default database and remote added). */
export async function startEngine(argv: string[], components: EngineComponent[] = ENGINE_COMPONENTS): Promise<EngineContext> {
  for (const d of [ovsRundir(), ovsLogdir(), ovsDbdir()]) mkdirSync(d, { recursive: true });
  const defaultDb = `${ovsDbdir()}/conf.db`;
  let started: EngineContext | undefined;
  await runServer(argv, {
    program: ENGINE_PROGRAM,
    extraRemotes: [`punix:${ovsRundir()}/db.sock`],
    defaultLogFile: true,
    defaultPidfile: true,
    beforeOpen: async (args) => {
      for (const f of args.dbFiles) if (resolve(f) === resolve(defaultDb)) await ensureConfDb(f);
    },
    afterOpen: async (runner) => {
      const db = runner.dbs.get('Open_vSwitch');
      if (db) await ensureOpenVswitchRow(db);
    },
    onStarted: async (runner, unixctl) => {
      const database = runner.dbs.get('Open_vSwitch');
      if (!database) throw new Error('no Open_vSwitch database is served');
      started = { server: runner.server, database, runner, unixctl, dirs: ovsDirs() };
      for (const c of components) {
        const stop = await c(started);
        if (stop) addExitHook(stop);
      }
    },
  });
  return started!;
}

export async function main(argv: string[]): Promise<void> {
  await startEngine(argv);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`${ENGINE_PROGRAM}: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
