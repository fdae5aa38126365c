// The management API: JSON-RPC methods (beside the OVSDB ones, on the same socket) that the
// PowerShell module calls. Each is thin: ovs-vsctl's command library, the switch's operator
// commands, or a structured view of the database.
import type { Database, Json, JsonObject } from '../ovsdb/api.js';
import type { OvsdbServer } from '../rpc/server.js';
import { InvalidInputError, OvsError } from '../util/errors.js';
import { runVsctl } from '../vsctl/cli.js';
import * as cmd from '../vswitch/commands.js';
import type { VSwitch } from '../vswitch/vswitch.js';
import { MirrorClient } from './mirror-client.js';
import { MgmtStats, type PhaseTimer } from './stats.js';
import { bridgeViews, interfaceViews, portViews, type RowSource } from './views.js';

export interface ManagementContext {
  database: Database;
  /** The in-process switch, when this engine runs one. */
  vswitch: () => VSwitch | undefined;
  info: () => JsonObject;
  exit: () => void;
}

export class VsctlCommandError extends OvsError {
  constructor(code: string, message: string, readonly exitCode: number) { super(code, message); }
}

export class NoSwitchError extends OvsError {
  constructor() { super('OVS_E_NO_SWITCH', 'this engine runs no switch (started with --no-switch, or the datapath could not be created; see the engine log)'); }
}

/** params[0] of a management method, which must be an object. */
export function objParam(params: Json[], method: string): JsonObject {
  const p = params[0] ?? {};
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new InvalidInputError(`${method}: params[0] must be an object, got ${JSON.stringify(p)}`);
  return p as JsonObject;
}

/** An optional (or `required`) string member of a method's params object. */
export function str(p: JsonObject, key: string, method: string, required = false): string | undefined {
  const v = p[key];
  if (v === undefined || v === null) { if (required) throw new InvalidInputError(`${method}: "${key}" is required`); return undefined; }
  if (typeof v !== 'string') throw new InvalidInputError(`${method}: "${key}" must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function strings(p: JsonObject, key: string, method: string): string[] {
  const v = p[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new InvalidInputError(`${method}: "${key}" must be an array of strings`);
  return v as string[];
}

/** Classifies an ovs-vsctl error message into a stable code for ErrorRecords. */
export function vsctlErrorCode(message: string): string {
  if (/no bridge named|not a bridge/.test(message)) return 'OVS_E_NO_BRIDGE';
  if (/no port named/.test(message)) return 'OVS_E_NO_PORT';
  if (/no interface named|no row .* in table Interface/.test(message)) return 'OVS_E_NO_INTERFACE';
  if (/already exists|already has a port named/.test(message)) return 'OVS_E_ALREADY_EXISTS';
  if (/unknown command/.test(message)) return 'OVS_E_VSCTL_UNKNOWN_COMMAND';
  if (/does not contain a column|unknown column|has no column/.test(message)) return 'OVS_E_VSCTL_BAD_COLUMN';
  if (/timed out|timeout/.test(message)) return 'OVS_E_VSCTL_TIMEOUT';
  if (/constraint violation|syntax error|expected|not a valid|invalid/.test(message)) return 'OVS_E_INVALID_INPUT';
  return 'OVS_E_VSCTL';
}

/** ovs-vsctl's command-line program over the engine's shared client: its schema is parsed once per
 *  engine and its table reads come from the mirror. */
async function vsctl(client: MirrorClient, argv: string[], timer?: PhaseTimer): Promise<{ stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const code = await runVsctl(argv, {
    connect: async () => client,
    defaultDb: 'in-process',
    io: { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } },
    ...(timer ? { timer } : {}),
  });
  if (code !== 0) {
    const message = stderr.replace(/^ovs-vsctl: /gm, '').trim() || `ovs-vsctl exited with status ${code}`;
    throw new VsctlCommandError(vsctlErrorCode(message), message, code);
  }
  return { stdout, stderr };
}

/** The optional `view` of ovsps/vsctl: after the commands, the rows a cmdlet returns, in the same
 *  reply (saves the cmdlet a second round trip). {kind: "bridges"|"ports"|"interfaces", name?, bridge?, port?} */
function viewRequest(v: Json | undefined): ((src: RowSource) => Json[]) | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidInputError(`ovsps/vsctl: "view" must be an object, got ${JSON.stringify(v)}`);
  const m = 'ovsps/vsctl view';
  const name = str(v, 'name', m), bridge = str(v, 'bridge', m), port = str(v, 'port', m);
  switch (v.kind) {
    case 'bridges': return (src) => bridgeViews(src, { name });
    case 'ports': return (src) => portViews(src, { bridge, name });
    case 'interfaces': return (src) => interfaceViews(src, { bridge, port, name });
    default: throw new InvalidInputError(`ovsps/vsctl: view kind ${JSON.stringify(v.kind ?? null)} is not bridges, ports or interfaces`);
  }
}

/** Registers the ovsps/* methods; returns a function that stops following the database. */
export function registerManagementMethods(server: OvsdbServer, ctx: ManagementContext): () => void {
  // OVSPS_VSCTL_SESSION=0: every ovs-vsctl call reads the tables and builds its cache anew (as
  // before the kept replica; benchmarks compare the two).
  const client = new MirrorClient(ctx.database, undefined, process.env.OVSPS_VSCTL_SESSION !== '0');
  const mirror = client.mirror;
  // Views read the mirror; which bridge holds a port they may learn from the kept ovs-vsctl cache.
  const viewSource: RowSource = {
    rows: (table) => mirror.rows(table),
    named: (table, name) => mirror.named(table, name),
    nameIndexed: (table) => mirror.nameIndexed(table),
    bridgeOfPort: (pu) => client.vsctlSession(ctx.database.name)?.currentCache()?.bridgeOfPort(pu),
  };
  const needSwitch = (): VSwitch => { const sw = ctx.vswitch(); if (!sw) throw new NoSwitchError(); return sw; };
  const stats = new MgmtStats();
  // Every method below is timed into `stats`; a handler taking a PhaseTimer also reports its phases.
  const register = (name: string, handler: (params: Json[], timer: PhaseTimer) => Promise<Json>): void => {
    server.registerMethod(name, async (params) => {
      const timer = stats.timer();
      let ok = false;
      try {
        const r = await handler(params, timer);
        ok = true;
        return r;
      } finally {
        stats.record(name, ok, timer);
      }
    });
  };

  /** ovsps/stats {reset?: true, cpu?: boolean}: the time spent per method (and per phase of
   *  ovsps/vsctl) since the engine started or the last reset; with reset, returns the figures and
   *  starts again; cpu turns CPU-time accounting on or off for the calls that follow. */
  server.registerMethod('ovsps/stats', async (params) => {
    const p = objParam(params, 'ovsps/stats');
    if (p.cpu !== undefined && typeof p.cpu !== 'boolean') throw new InvalidInputError(`ovsps/stats: "cpu" must be true or false, got ${JSON.stringify(p.cpu)}`);
    if (p.reset !== undefined && typeof p.reset !== 'boolean') throw new InvalidInputError(`ovsps/stats: "reset" must be true or false, got ${JSON.stringify(p.reset)}`);
    const out = stats.toJson();
    // The kept ovs-vsctl replica (engine/vsctl/session.ts): calls, cache builds and drops, rows replaced.
    const session = client.vsctlSession(ctx.database.name);
    out.vsctlSession = session ? { ...session.counters } : null;
    if (p.reset === true) stats.reset();
    if (typeof p.cpu === 'boolean') stats.cpu = p.cpu;
    return out;
  });

  register('ovsps/info', async () => ctx.info());

  register('ovsps/health', async () => {
    const checks: Json[] = [];
    const sw = ctx.vswitch();
    const ovs = [...ctx.database.rows('Open_vSwitch')][0];
    checks.push({ name: 'database', ok: ovs !== undefined, detail: ovs ? `${ctx.database.name} has its Open_vSwitch row` : 'the Open_vSwitch row is missing (run ovs-vsctl init)' });
    checks.push({ name: 'switch', ok: sw !== undefined, detail: sw ? 'the switch is running in the engine' : new NoSwitchError().message });
    if (ovs && sw) {
      const next = Number(ovs.next_cfg ?? 0), cur = Number(ovs.cur_cfg ?? 0);
      checks.push({ name: 'configuration', ok: cur >= next, detail: cur >= next ? `applied (cur_cfg ${cur} = next_cfg ${next})` : `not yet applied (cur_cfg ${cur} < next_cfg ${next})` });
      const dpPorts = new Set((await sw.dp.portDump()).map((v) => v.name));
      const missing = (interfaceViews(mirror) as JsonObject[]).filter((i) => i.type !== 'patch' && !dpPorts.has(String(i.name)));
      checks.push({ name: 'datapath ports', ok: missing.length === 0,
        detail: missing.length === 0 ? `all ${dpPorts.size} datapath ports match the database` : missing.map((i) => `${i.name}: ${i.error ?? 'not in the datapath'}`).join('; ') });
    }
    return { healthy: checks.every((c) => (c as { ok: boolean }).ok), checks };
  });

  register('ovsps/exit', async () => { setTimeout(() => ctx.exit(), 20); return null; });

  register('ovsps/bridges', async (params) => bridgeViews(viewSource, { name: str(objParam(params, 'ovsps/bridges'), 'name', 'ovsps/bridges') }));
  register('ovsps/ports', async (params) => {
    const p = objParam(params, 'ovsps/ports');
    return portViews(viewSource, { bridge: str(p, 'bridge', 'ovsps/ports'), name: str(p, 'name', 'ovsps/ports') });
  });
  register('ovsps/interfaces', async (params) => {
    const p = objParam(params, 'ovsps/interfaces');
    return interfaceViews(viewSource, { bridge: str(p, 'bridge', 'ovsps/interfaces'), port: str(p, 'port', 'ovsps/interfaces'), name: str(p, 'name', 'ovsps/interfaces') });
  });

  /** ovs-vsctl through the command library: either raw `argv` (global options and "--"-separated
   *  commands, exactly as the CLI takes them) or `commands` (one argv per command, all in one
   *  transaction). Without a running switch there is nothing to wait for, so --no-wait is implied. */
  register('ovsps/vsctl', async (params, timer) => {
    const p = objParam(params, 'ovsps/vsctl');
    const global: string[] = [];
    if (p.dryRun === true) global.push('--dry-run');
    if (typeof p.timeout === 'number') global.push(`--timeout=${p.timeout}`);
    if (p.noWait === true || !ctx.vswitch()) global.push('--no-wait');
    let argv: string[];
    if (p.argv !== undefined) {
      argv = [...global, ...strings(p, 'argv', 'ovsps/vsctl')];
    } else {
      const cmds = p.commands;
      if (!Array.isArray(cmds) || cmds.length === 0 || cmds.some((c) => !Array.isArray(c) || c.length === 0 || c.some((w) => typeof w !== 'string'))) {
        throw new InvalidInputError('ovsps/vsctl: "commands" must be a non-empty array of non-empty string arrays');
      }
      argv = [...global];
      (cmds as string[][]).forEach((c, i) => { if (i) argv.push('--'); argv.push(...c); });
    }
    const view = viewRequest(p.view);
    const r = await vsctl(client, argv, timer);
    const out: JsonObject = { outputs: [r.stdout], warnings: r.stderr ? r.stderr.trim().split('\n') : [] };
    if (view) { out.view = view(viewSource); timer.mark('view'); }
    return out;
  });

  register('ovsps/ofctl', async (params) => {
    const p = objParam(params, 'ovsps/ofctl');
    const command = str(p, 'command', 'ovsps/ofctl', true)!;
    const bridge = str(p, 'bridge', 'ovsps/ofctl', true)!;
    const args = strings(p, 'args', 'ovsps/ofctl');
    const sw = needSwitch();
    switch (command) {
      case 'dump-flows': { const r = cmd.dumpFlows(sw, bridge, args[0] ?? ''); return { output: r.text, ...r.data } as unknown as Json; }
      case 'add-flow': case 'add-flows': {
        const flows = command === 'add-flow' ? args : strings(p, 'flows', 'ovsps/ofctl');
        return (await cmd.addFlows(sw, bridge, flows)).data as Json;
      }
      case 'del-flows': return (await cmd.delFlows(sw, bridge, args[0] ?? '', p.strict === true)).data as Json;
      case 'mod-flows': return (await cmd.modFlows(sw, bridge, args[0] ?? '', p.strict === true)).data as Json;
      case 'show': { const r = await cmd.ofctlShow(sw, bridge); return { output: r.text, ...(r.data as JsonObject) }; }
      case 'dump-ports': { const r = await cmd.dumpPorts(sw, bridge); return { output: r.text, ...(r.data as JsonObject) }; }
      default: throw new InvalidInputError(`ovsps/ofctl: unknown command "${command}" (expected dump-flows, add-flow, add-flows, del-flows, mod-flows, show, dump-ports)`);
    }
  });

  register('ovsps/dpctl', async (params) => {
    const p = objParam(params, 'ovsps/dpctl');
    const command = str(p, 'command', 'ovsps/dpctl', true)!;
    const sw = needSwitch();
    switch (command) {
      case 'show': { const r = await cmd.dpctlShow(sw); return { output: r.text, ...(r.data as JsonObject) }; }
      case 'dump-flows': { const r = await cmd.dpctlDumpFlows(sw); return { output: r.text, ...(r.data as JsonObject) }; }
      case 'del-flows': await cmd.dpctlDelFlows(sw); return null;
      default: throw new InvalidInputError(`ovsps/dpctl: unknown command "${command}" (expected show, dump-flows, del-flows)`);
    }
  });

  register('ovsps/fdb', async (params) => {
    const p = objParam(params, 'ovsps/fdb');
    return cmd.fdbShow(needSwitch(), str(p, 'bridge', 'ovsps/fdb', true)!).data as Json;
  });

  register('ovsps/trace', async (params) => {
    const p = objParam(params, 'ovsps/trace');
    const r = cmd.ofprotoTrace(needSwitch(), str(p, 'bridge', 'ovsps/trace', true)!, str(p, 'flow', 'ovsps/trace', true)!);
    return { output: r.text, ...(r.data as JsonObject) };
  });
  return () => client.dispose();
}
