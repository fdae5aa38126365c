// What a running command sees: the replica, the Open_vSwitch row, the symbol table, its own
// arguments/options, and where its output goes. One Ctx per command; the cache of bridges,
// ports and interfaces is shared by all commands of one transaction until a command invalidates it.
import type { Replica, VRow } from './replica.js';
import type { SymbolTable } from './datum.js';
import type { OutTable } from './out-table.js';
import type { VsctlSchema } from './schema.js';
import type { VswitchCache } from './vswitch-cache.js';

export interface SharedState {
  replica: Replica;
  schema: VsctlSchema;
  symtab: SymbolTable;
  ovs: VRow;
  cache?: VswitchCache;
  /** A cache kept across transactions (engine/vsctl/session.ts), when there is one. */
  keptCache?: { get(): VswitchCache | undefined; set(c: VswitchCache): void };
  /** Set once a command changed what the cache is built from: from then on this transaction
   *  builds its own cache from the replica instead of using the kept one. */
  cacheForked?: boolean;
  warn(module: string, message: string, level?: 'WARN' | 'ERR'): void;
  /** Interfaces added by add-br/add-port/add-bond, checked after ovs-vswitchd reloads. */
  newIfaces: VRow[];
}

export class Ctx {
  readonly s: SharedState;
  /** argv[0] is the command name. */
  readonly argv: string[];
  readonly options: Map<string, string | null>;
  readonly lastCommand: boolean;
  output = '';
  table?: OutTable;
  data?: unknown;
  tryAgain = false;
  verifiedPorts = false;

  constructor(s: SharedState, argv: string[], options: Map<string, string | null>, lastCommand: boolean) {
    this.s = s;
    this.argv = argv;
    this.options = options;
    this.lastCommand = lastCommand;
  }

  get replica(): Replica { return this.s.replica; }
  get ovs(): VRow { return this.s.ovs; }
  has(option: string): boolean { return this.options.has(option); }
  opt(option: string): string | undefined { return this.options.get(option) ?? undefined; }
  invalidateCache(): void { this.s.cache = undefined; this.s.cacheForked = true; }
}

export type CommandMode = 'RO' | 'RW';

export interface CommandSyntax {
  name: string;
  minArgs: number;
  maxArgs: number;
  arguments: string;
  /** Comma-separated options as in ovs-vsctl ("--if-exists,--columns="). */
  options: string;
  mode: CommandMode;
  /** Tables to read before running: names, or a function of the command's arguments. */
  tables: (argv: string[], schema: VsctlSchema) => string[];
  /** Checks names against the schema before anything is read (ovs-vsctl's prerequisites). */
  pre?: (ctx: Ctx) => void;
  run?: (ctx: Ctx) => void;
  /** Runs after a successful commit; `realUuid` maps local insert uuids to the server's. */
  post?: (ctx: Ctx, realUuid: (local: string) => string | undefined) => void;
}
