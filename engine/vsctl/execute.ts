// Runs ovs-vsctl commands as ONE transaction against any OvsdbClient: read the tables the
// commands need, run them against a local replica, commit (retrying when a verified column
// changed underneath), post-process (create's uuids), format output, and optionally wait for
// ovs-vswitchd to catch up (cur_cfg >= next_cfg) using blocking `wait` operations.
import type { Json, JsonObject, OvsdbClient, RowJson } from '../ovsdb/api.js';
import { Ctx, type SharedState } from './context.js';
import { fromValue, type ParsedCommand } from './commands.js';
import { SymbolTable } from './datum.js';
import { VsctlError, VsctlExit } from './errors.js';
import { formatTable } from './out-table.js';
import { Replica, type VRow } from './replica.js';
import { parseVsctlSchema, type VsctlSchema } from './schema.js';
import { verifyOracleOf } from './verify-oracle.js';
import { sessionOf, type SessionTxn } from './session.js';
import { ovsJsonToText } from './json-text.js';
import { DEFAULT_TABLE_STYLE, type CommandResult, type TableStyle, type VsctlCommand, type VsctlOptions, type VsctlResult } from './types.js';
import { ovsShashOrder } from '../util/ovs-shash.js';

const schemaCache = new WeakMap<OvsdbClient, VsctlSchema>();

/** An attempt's answer when the commands must run again (a verify failed, wait-until waited). */
const AGAIN = Symbol('again');

const EMPTY_SCHEMA: VsctlSchema = { name: '', version: '', tables: new Map() };

const NARROW_COLUMNS: Record<string, string[]> = {
  Bridge: ['name', 'ports', 'controller', 'fail_mode', 'external_ids'],
  Port: ['name', 'fake_bridge', 'tag', 'interfaces', 'external_ids'],
  Interface: ['name', 'type', 'ofport', 'error'],
};
const NARROW_OK = new Set(['init', 'add-br', 'del-br', 'list-br', 'br-exists', 'br-to-vlan', 'br-to-parent',
  'br-set-external-id', 'br-get-external-id', 'list-ports', 'add-port', 'del-port', 'port-to-br', 'add-bond',
  'add-bond-iface', 'del-bond-iface', 'list-ifaces', 'iface-to-br', 'get-controller', 'del-controller',
  'set-controller', 'get-fail-mode', 'del-fail-mode', 'set-fail-mode', 'get-manager', 'del-manager',
  'set-manager', 'get-ssl', 'del-ssl', 'set-ssl']);

async function loadSchema(client: OvsdbClient, db: string): Promise<VsctlSchema> {
  let s = schemaCache.get(client);
  if (!s) {
    s = parseVsctlSchema(await client.getSchema(db));
    schemaCache.set(client, s);
  }
  return s;
}

/** The commands' prerequisites: the name checks (tables, columns, --columns) that need only the
 *  schema. Throws the first failure as a VsctlError. */
export function checkPrerequisites(commands: ParsedCommand[], schema: VsctlSchema, warn: (module: string, message: string) => void = () => undefined): void {
  const dummy = { schema, warn } as unknown as SharedState;
  for (const c of commands) c.syntax.pre?.(new Ctx(dummy, c.argv, c.options, false));
}

function vlogTime(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export function defaultWaitTimeoutMs(): number {
  const env = process.env.OVS_VSCTL_WAIT_TIMEOUT;
  const n = env ? Number(env) : NaN;
  return Number.isFinite(n) && n > 0 ? n * 1000 : 30000;
}

function txnError(results: Json[], warn: (module: string, msg: string) => void): { tryAgain: boolean; error?: string } {
  let hard: string | undefined;
  let soft = false;
  let logged = 0;
  for (const r of results) {
    if (r === null) { soft = true; continue; }
    if (typeof r !== 'object' || Array.isArray(r)) continue;
    const e = (r as JsonObject).error;
    if (typeof e !== 'string') continue;
    if (e === 'timed out') soft = true;
    else if (e === 'aborted') continue;
    else {
      if (hard === undefined) hard = ovsJsonToText(r as JsonObject);
      // The IDL logs every hard error (rate limited to a burst of 5), always with the first text.
      if (e !== 'not allowed' && logged++ < 5) warn('ovsdb_idl', `transaction error: ${hard}`);
    }
  }
  return hard !== undefined ? { tryAgain: false, error: hard } : { tryAgain: soft };
}

/** Executes already-parsed commands (the CLI path). */
export async function executeParsed(client: OvsdbClient, commands: ParsedCommand[], opts: VsctlOptions = {}): Promise<VsctlResult> {
  const db = opts.database ?? 'Open_vSwitch';
  const style: TableStyle = { ...DEFAULT_TABLE_STYLE, ...opts.style };
  const warnings: string[] = [];
  let seq = commands.some((c) => c.syntax.mode === 'RW') ? 1 : 0;
  const warn = (module: string, message: string, level: 'WARN' | 'ERR' = 'WARN'): void => {
    const line = `${vlogTime()}|${String(++seq).padStart(5, '0')}|${module}|${level}|${message}`;
    warnings.push(line);
    opts.onWarning?.(line);
  };
  // Bridge/port commands read fixed tables, and only the Bridge, Port and Interface columns they
  // use (NARROW_COLUMNS), which keeps a big switch cheap: Interface rows carry large
  // status/statistics maps, and a Bridge row has some thirty columns. For them the
  // first read is sent together with get_schema, saving a round trip per ovs-vsctl process.
  const narrow = commands.every((c) => NARROW_OK.has(c.syntax.name));
  const selectsFor = (tableList: string[]): Json[] => tableList.map((t): Json => {
    const cols = narrow ? NARROW_COLUMNS[t] : undefined;
    return cols ? { op: 'select', table: t, where: [], columns: ['_uuid', ...cols] } : { op: 'select', table: t, where: [] };
  });
  let prefetchTables: string[] | undefined;
  let prefetch: Promise<Json[]> | undefined;
  // A client reading an in-process database may keep the replica and the bridge/port cache from
  // one transaction to the next (session.ts); wait-until, which waits for the tables to change
  // and runs again, reads them anew each time instead.
  const session = commands.some((c) => c.syntax.name === 'wait-until') ? undefined : sessionOf(client, db);
  if (narrow && !session && !schemaCache.has(client)) {
    const t = new Set<string>(['Open_vSwitch']);
    for (const c of commands) for (const x of c.syntax.tables(c.argv, EMPTY_SCHEMA)) t.add(x);
    prefetchTables = [...t];
    prefetch = client.transact(db, selectsFor(prefetchTables));
    prefetch.catch(() => undefined);
  }
  const schema = await loadSchema(client, db);

  checkPrerequisites(commands, schema, warn);

  const tables = new Set<string>(['Open_vSwitch']);
  for (const c of commands) for (const t of c.syntax.tables(c.argv, schema)) if (schema.tables.has(t)) tables.add(t);
  const tableList = [...tables];
  if (prefetchTables && prefetchTables.join() !== tableList.join()) prefetch = undefined;
  // With a client that can see its verifies pass (verify-oracle.ts), the plan leaves those waits
  // out: the transaction below is then sent in the same synchronous step as the plan is made.
  const oracle = verifyOracleOf(client);
  const readCheck = oracle?.readStillCurrent ? oracle.readStillCurrent.bind(oracle) : undefined;

  for (let attempt = 0; ; attempt++) {
    const r = session
      ? await session.run(schema, tableList, (txn) => { opts.timer?.mark('read'); return once(attempt, txn); })
      : await once(attempt, undefined);
    if (r !== AGAIN) return r;
  }

  /** One try: read (or take the session's replica), run the commands, commit. */
  async function once(attempt: number, txn: SessionTxn | undefined): Promise<VsctlResult | typeof AGAIN> {
    let read: Json[] = [];
    const loaded = new Map<string, RowJson[]>();
    let replica: Replica;
    if (txn) {
      replica = txn.replica;
    } else {
      read = attempt === 0 && prefetch ? await prefetch : await client.transact(db, selectsFor(tableList));
      tableList.forEach((t, i) => {
        const r = read[i] as JsonObject | null;
        if (!r || !Array.isArray(r.rows)) throw new VsctlError('OVS_E_VSCTL_TRANSACTION', `transaction error: ${ovsJsonToText(r as Json)}`);
        loaded.set(t, r.rows as RowJson[]);
      });
      opts.timer?.mark('read');
      replica = new Replica(schema, loaded, readCheck !== undefined);
    }
    let ovs = replica.rows('Open_vSwitch')[0];
    if (!ovs) ovs = replica.insert('Open_vSwitch');
    const shared: SharedState = { replica, schema, symtab: new SymbolTable(), ovs, warn, newIfaces: [], ...(txn ? { keptCache: txn.keptCache } : {}) };
    const ctxs: Ctx[] = [];
    let tryAgainTable: string | undefined;
    for (let i = 0; i < commands.length; i++) {
      const c = commands[i] as ParsedCommand;
      const ctx = new Ctx(shared, c.argv, c.options, i === commands.length - 1);
      c.syntax.run?.(ctx);
      ctxs.push(ctx);
      if (ctx.tryAgain) { tryAgainTable = c.argv[1]; break; }
    }
    opts.timer?.mark('run');
    if (tryAgainTable !== undefined) {
      await waitForChange(client, db, schema, tryAgainTable, loaded);
      return AGAIN;
    }
    // In the order of OVS's shash of row ids: of an uncreated id and an unreferenced one, real
    // ovs-vsctl reports whichever its hash map visits first.
    for (const name of ovsShashOrder([...shared.symtab.symbols.keys()])) {
      const sym = shared.symtab.symbols.get(name)!;
      if (!sym.created) throw new VsctlError('OVS_E_VSCTL_BAD_VALUE', `row id "${name}" is referenced but never created (e.g. with "-- --id=${name} create ...")`);
      if (!sym.strongRef) {
        warn('vsctl', sym.weakRef
          ? `row id "${name}" was created but only a weak reference to it was inserted, so it will not actually appear in the database`
          : `row id "${name}" was created but no reference to it was inserted, so it will not actually appear in the database`);
      }
    }
    const plan = replica.plan({
      ...(opts.noWait ? {} : { incrementRow: ovs }), ...(opts.comment ? { comment: opts.comment } : {}), ...(opts.dryRun ? { dryRun: true } : {}),
      ...(oracle ? { verifiedHolds: (t: string, u: string, cols: string[], raw: RowJson) => oracle.verifiedHolds(db, t, u, cols, raw) } : {}),
      ...(txn ? { readStillCurrent: () => txn.stillCurrent() } : readCheck ? { readStillCurrent: () => readCheck(db, read) } : {}),
    });
    opts.timer?.mark('plan');
    let nextCfg: number | bigint | undefined;
    let results: Json[] = [];
    if (plan.changed) {
      results = await client.transact(db, plan.ops);
      opts.timer?.mark('commit');
      const st = txnError(results, warn);
      if (st.error !== undefined) throw new VsctlError('OVS_E_VSCTL_TRANSACTION', `transaction error: ${st.error}`);
      if (st.tryAgain) {
        if (attempt > 50) throw new VsctlError('OVS_E_VSCTL_TRANSACTION', 'transaction kept failing because the database kept changing');
        return AGAIN;
      }
      if (plan.nextCfgIndex !== undefined && !opts.dryRun) {
        const sel = results[plan.nextCfgIndex] as JsonObject;
        const row = (sel.rows as JsonObject[])[0];
        if (row && (typeof row.next_cfg === 'number' || typeof row.next_cfg === 'bigint')) nextCfg = row.next_cfg;
      }
    }
    const realUuid = (local: string): string | undefined => {
      const idx = plan.insertIndex.get(local);
      if (idx === undefined) return undefined;
      const r = results[idx] as JsonObject | undefined;
      const u = r && Array.isArray(r.uuid) ? (r.uuid[1] as string) : undefined;
      return u;
    };
    commands.forEach((c, i) => c.syntax.post?.(ctxs[i] as Ctx, realUuid));

    const out: CommandResult[] = [];
    let stdout = '';
    let firstTable = true;
    ctxs.forEach((ctx, i) => {
      let text: string;
      if (ctx.table) {
        text = formatTable(ctx.table, style, firstTable);
        firstTable = false;
      } else if (opts.oneline) {
        text = ctx.output.replace(/\n$/, '').replace(/\\/g, '\\\\').replace(/\n/g, '\\n') + '\n';
      } else text = ctx.output;
      stdout += text;
      const r: CommandResult = { name: (commands[i] as ParsedCommand).argv[0] as string, output: text };
      if (ctx.data !== undefined) r.data = ctx.data;
      out.push(r);
    });
    opts.timer?.mark('output');
    const result: VsctlResult = { commands: out, stdout, warnings, changed: plan.changed };
    if (nextCfg !== undefined) result.nextCfg = nextCfg;
    if (shared.newIfaces.length) result.newInterfaces = shared.newIfaces.map((r) => realUuid(r.uuid) ?? r.uuid);
    return result;
  }
}

/** Blocks (server-side `wait`) until the rows of `tableName` differ from what we read. */
async function waitForChange(client: OvsdbClient, db: string, schema: VsctlSchema, tableName: string, loaded: Map<string, RowJson[]>): Promise<void> {
  let t = [...schema.tables.values()].find((x) => x.name.toLowerCase() === tableName.toLowerCase());
  if (!t) {
    const { getTable } = await import('./db-commands.js');
    t = getTable(schema, tableName);
  }
  const cols = [...t.columns.values()].filter((c) => !c.ephemeral).map((c) => c.name);
  const rows = (loaded.get(t.name) ?? []).map((r) => {
    const o: JsonObject = { _uuid: r._uuid as Json };
    for (const c of cols) if (r[c] !== undefined) o[c] = r[c] as Json;
    return o;
  });
  await client.transact(db, [{ op: 'wait', table: t.name, where: [], columns: ['_uuid', ...cols], until: '!=', rows }]);
}

/** Waits until Open_vSwitch cur_cfg >= nextCfg, without polling: each round blocks in a `wait`
 *  op until cur_cfg changes. Throws OVS_E_VSCTL_TIMEOUT after `timeoutMs`. */
export async function waitForReload(client: OvsdbClient, nextCfg: number | bigint, timeoutMs: number, db = 'Open_vSwitch'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sel = await client.transact(db, [{ op: 'select', table: 'Open_vSwitch', where: [], columns: ['cur_cfg'] }]);
    const rows = ((sel[0] as JsonObject | null)?.rows ?? []) as JsonObject[];
    const cfg = (r: JsonObject | undefined): number | bigint => (typeof r?.cur_cfg === 'number' || typeof r?.cur_cfg === 'bigint' ? r.cur_cfg : 0);
    const cur = cfg(rows[0]);
    if (rows.some((r) => cfg(r) >= nextCfg)) return;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new VsctlError('OVS_E_VSCTL_TIMEOUT', `timed out waiting for ovs-vswitchd to apply the change (cur_cfg ${cur} < next_cfg ${nextCfg}); is ovs-vswitchd running? Use --no-wait to skip waiting.`);
    }
    await client.transact(db, [{ op: 'wait', table: 'Open_vSwitch', where: [], columns: ['cur_cfg'], until: '!=', rows: rows.map((r) => ({ cur_cfg: r.cur_cfg as Json })), timeout: Math.max(1, Math.ceil(left)) }]);
  }
}

/** Library entry point: commands as values, executed as one transaction. */
export async function executeVsctl(client: OvsdbClient, commands: VsctlCommand[], opts: VsctlOptions = {}): Promise<VsctlResult> {
  const parsed = commands.map(fromValue);
  const r = await executeParsed(client, parsed, opts);
  if (!opts.noWait && r.nextCfg !== undefined && !opts.dryRun) {
    await waitForReload(client, r.nextCfg, opts.waitTimeoutMs ?? defaultWaitTimeoutMs(), opts.database);
  }
  return r;
}

export { VsctlError, VsctlExit };
export type { VRow };
