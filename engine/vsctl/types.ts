// The public shapes of the ovs-vsctl library: commands as values, options, results.
import type { Json } from '../ovsdb/api.js';

/** One ovs-vsctl command: `name` as on the command line, its positional `args`, and its
 *  per-command options without the leading "--" stripped (e.g. {"--may-exist": true,
 *  "--columns": "name,ports"}); a leading "--" is added when missing. */
export interface VsctlCommand {
  name: string;
  args: string[];
  options?: Record<string, string | true>;
}

export type TableFormat = 'table' | 'list' | 'html' | 'csv' | 'json';
export type CellFormat = 'string' | 'bare' | 'json';

export interface TableStyle {
  format: TableFormat;
  data: CellFormat;
  headings: boolean;
  pretty: boolean;
  maxColumnWidth: number;
}

export const DEFAULT_TABLE_STYLE: TableStyle = { format: 'list', data: 'string', headings: true, pretty: false, maxColumnWidth: 0 };

export interface VsctlOptions {
  /** Database name inside the server (default "Open_vSwitch"). */
  database?: string;
  /** Don't bump next_cfg and don't wait for ovs-vswitchd (--no-wait). */
  noWait?: boolean;
  /** Build the transaction but tell the server to abort it (--dry-run). */
  dryRun?: boolean;
  /** Print each command's output on one line (--oneline). */
  oneline?: boolean;
  style?: Partial<TableStyle>;
  /** Wait this long for ovs-vswitchd to apply the change (ms); default 30000 or
   *  OVS_VSCTL_WAIT_TIMEOUT (seconds). */
  waitTimeoutMs?: number;
  /** Text for the transaction's "comment" op (ovs-vsctl puts its command line there). */
  comment?: string;
  /** Sink for vlog-style warnings (already formatted lines without newline). */
  onWarning?: (line: string) => void;
  /** Optional profiler: mark(phase) is called as each phase ends (read, replica, run, plan,
   *  commit, output), charging the time since the previous mark to it. */
  timer?: { mark(phase: string): void };
}

/** A cell of list/find output: the wire value of the column. */
export type RowValues = Record<string, Json>;

export interface CommandResult {
  name: string;
  /** The text ovs-vsctl prints for this command (already formatted, possibly empty). */
  output: string;
  /** Structured result: string[] for list-br/list-ports/..., Json values for get,
   *  RowValues[] for list/find, uuid string for create, string for br-to-parent etc. */
  data?: unknown;
}

export interface VsctlResult {
  commands: CommandResult[];
  /** Concatenated output of all commands, exactly as ovs-vsctl writes it to stdout. */
  stdout: string;
  /** Warnings, formatted like ovs-vsctl's console log lines. */
  warnings: string[];
  /** next_cfg after the commit, when it was incremented. */
  nextCfg?: number | bigint;
  /** False when nothing changed (no transaction was sent). */
  changed: boolean;
  /** UUIDs of interfaces created by add-br/add-port/add-bond/add-bond-iface. */
  newInterfaces?: string[];
}
