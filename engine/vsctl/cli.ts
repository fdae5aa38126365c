// The ovs-vsctl program as a function: argv in, stdout/stderr text and exit status out, with the
// database connector injected (so tests and the in-process server can run it without spawning).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject, OvsdbClient } from '../ovsdb/api.js';
import { tlsFilesFor, type TlsFiles } from '../rpc/tls-files.js';
import { causeText } from '../util/errno-text.js';
import { ovsPkgdatadir } from '../util/ovs-paths.js';
import { parseGlobalOptions, listOptions } from './cli-options.js';
import { ALL_COMMANDS, parseCommandLine, type ParsedCommand } from './commands.js';
import { VsctlError, VsctlExit } from './errors.js';
import { escapeArgs } from './escape.js';
import { checkPrerequisites, defaultWaitTimeoutMs, executeParsed, waitForReload } from './execute.js';
import { parseVsctlSchema, type VsctlSchema } from './schema.js';
import { vsctlUsage } from './usage.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export type Connector = (target: string, options?: { tls?: TlsFiles }) => Promise<OvsdbClient>;

export interface CliEnv {
  connect: Connector;
  /** Default --db target. */
  defaultDb: string;
  io: CliIo;
  programName?: string;
  /** Shown when ovs-vswitchd failed to set up an interface ("The default log directory is ..."). */
  logDir?: string;
  /** Optional profiler, given to the library (see VsctlOptions.timer); also marks 'parse' and 'wait'. */
  timer?: { mark(phase: string): void };
}

const VERSION = 'ovs-vsctl (Open vSwitch) 3.1.0\nDB Schema 8.3.1\n';

/** After ovs-vswitchd reloaded: interfaces added by this invocation that it could not set up
 *  (ofport -1 or missing) are reported, as ovs-vsctl's post_db_reload_do_checks does. */
async function reportFailedInterfaces(client: OvsdbClient, uuids: string[], prog: string, logDir: string | undefined, io: CliIo): Promise<void> {
  if (!uuids.length) return;
  const res = await client.transact('Open_vSwitch', uuids.map((u) => ({
    op: 'select', table: 'Interface', where: [['_uuid', '==', ['uuid', u]]], columns: ['name', 'ofport', 'error'],
  })));
  let any = false;
  for (const r of res) {
    const row = ((r as { rows?: Array<Record<string, unknown>> } | null)?.rows ?? [])[0];
    if (!row) continue;
    const ofport = row.ofport;
    if (typeof ofport === 'number' && ofport !== -1) continue;
    const err = typeof row.error === 'string' && row.error ? row.error : undefined;
    io.stderr(err
      ? `${prog}: Error detected while setting up '${String(row.name)}': ${err}.  See ovs-vswitchd log for details.\n`
      : `${prog}: Error detected while setting up '${String(row.name)}'.  See ovs-vswitchd log for details.\n`);
    any = true;
  }
  if (any) io.stderr(`${prog}: The default log directory is "${logDir ?? '/var/log/openvswitch'}".\n`);
}

/** The schema this package serves (manifests/vswitch.ovsschema), standing in for the schema real
 *  ovs-vsctl has built in where no server is asked; undefined when it cannot be read. */
function packageSchema(): VsctlSchema | undefined {
  try {
    return parseVsctlSchema(JSON.parse(readFileSync(join(ovsPkgdatadir(), 'vswitch.ovsschema'), 'utf8')) as JsonObject);
  } catch {
    return undefined;
  }
}

/** Real ovs-vsctl checks table and column names against its built-in schema before it connects,
 *  so with no server to reach (even with --retry) a bad name is what it reports. Ours takes the
 *  schema from the server; with none, the check runs against the package's schema. Throws the
 *  name error, if any; a schema that cannot be read leaves the connection error. */
function checkWithoutServer(commands: ParsedCommand[]): void {
  const schema = packageSchema();
  if (schema) checkPrerequisites(commands, schema);
}

/** Runs one ovs-vsctl invocation; returns the exit status. Never throws for user errors. */
export async function runVsctl(argv: string[], env: CliEnv): Promise<number> {
  const prog = env.programName ?? 'ovs-vsctl';
  const { io } = env;
  let client: OvsdbClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const g = parseGlobalOptions(argv);
    if (g.action === 'help') { io.stdout(vsctlUsage(prog, env.defaultDb, packageSchema())); return 0; }
    if (g.action === 'version') { io.stdout(VERSION); return 0; }
    if (g.action === 'options') { io.stdout(listOptions()); return 0; }
    if (g.action === 'commands') {
      io.stdout([...ALL_COMMANDS.values()].map((c) => `${c.options.split(',').filter((x) => x).map((x) => `[${x}] `).join('')},${c.name},${c.arguments}\n`).join(''));
      return 0;
    }
    const commands = parseCommandLine(g.rest, g.local);
    env.timer?.mark('parse');
    let warned = 0;
    let expired = false;
    const db = g.db ?? env.defaultDb;
    const timeoutSec = g.timeoutSec || Number(process.env.OVS_CTL_TIMEOUT) || 0;
    let tls: TlsFiles | undefined;
    try {
      tls = tlsFilesFor(db, g.ssl);
    } catch (e) {
      throw new VsctlError('OVS_E_VSCTL_CONNECTION', `${db}: database connection failed (${(e as Error).message})`);
    }
    const work = (async () => {
      // --retry: keep trying (bounded by --timeout, like ovs-vsctl), backing off up to 1 s.
      for (let delay = 100; ; delay = Math.min(1000, delay * 2)) {
        try {
          client = await env.connect(db, tls ? { tls } : undefined);
          if (expired) { await client.close(); throw new VsctlExit(142); }
          break;
        } catch (e) {
          if (delay === 100) checkWithoutServer(commands);
          if (!g.retry || expired) throw new VsctlError('OVS_E_VSCTL_CONNECTION', `${db}: database connection failed (${causeText(e)})`);
          await new Promise((res) => setTimeout(res, delay));
        }
      }
      const r = await executeParsed(client, commands, {
        noWait: g.noWait, dryRun: g.dryRun, oneline: g.oneline, style: g.style,
        comment: `ovs-vsctl: ${escapeArgs([prog, ...argv])}`,
        onWarning: (line) => { warned++; io.stderr(line + '\n'); },
        ...(env.timer ? { timer: env.timer } : {}),
      });
      io.stdout(r.stdout);
      if (!g.noWait && !g.dryRun && r.nextCfg !== undefined) {
        await waitForReload(client, r.nextCfg, timeoutSec ? timeoutSec * 1000 : defaultWaitTimeoutMs());
        await reportFailedInterfaces(client, r.newInterfaces ?? [], prog, env.logDir, io);
        env.timer?.mark('wait');
      }
    })();
    if (timeoutSec) {
      const alarm = new Promise<never>((_, reject) => {
        // ovs-vsctl dies of SIGALRM: one log line, then status 128+14.
        timer = setTimeout(() => {
          const seq = 1 + (commands.some((c) => c.syntax.mode === 'RW') ? 1 : 0) + warned;
          const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
          io.stderr(`${time}|${String(seq).padStart(5, '0')}|fatal_signal|WARN|terminating with signal 14 (Alarm clock)\n`);
          expired = true;
          reject(new VsctlExit(142));
        }, timeoutSec * 1000);
      });
      await Promise.race([work, alarm]);
    } else {
      await work;
    }
    return 0;
  } catch (e) {
    if (e instanceof VsctlExit) return e.exitCode;
    if (e instanceof VsctlError) {
      io.stderr(`${prog}: ${e.message}\n`);
      return e.exitCode;
    }
    io.stderr(`${prog}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    if (timer) clearTimeout(timer);
    if (client) await client.close().catch(() => undefined);
  }
}
