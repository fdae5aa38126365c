// The ovs-vsctl library: commands as values, run as one OVSDB transaction against any
// OvsdbClient (in-process LocalClient or JSON-RPC), with output byte-identical to Debian's
// ovs-vsctl 3.1 and structured results for the PowerShell management API.
//
//   const r = await executeVsctl(client, [
//     { name: 'add-br', args: ['br0'], options: { 'may-exist': true } },
//     { name: 'add-port', args: ['br0', 'eth1', 'tag=10'] },
//     { name: 'list-ports', args: ['br0'] },
//   ], { noWait: true });
//   r.commands[2].data  // ['eth1']
//   r.stdout            // 'eth1\n', as ovs-vsctl prints it
//
// Errors are VsctlError (code OVS_E_VSCTL_*, message as ovs-vsctl prints it after
// "ovs-vsctl: ", exitCode); `br-exists` on a missing bridge throws VsctlExit(2).
// runVsctl(argv, env) is the whole command-line program with injectable connection and streams.
export { executeVsctl, executeParsed, waitForReload, defaultWaitTimeoutMs } from './execute.js';
export { runVsctl, type CliEnv, type CliIo, type Connector } from './cli.js';
export { VsctlError, VsctlExit, type VsctlErrorCode } from './errors.js';
export { ALL_COMMANDS, parseCommandLine, fromValue, type ParsedCommand } from './commands.js';
export type { VsctlCommand, VsctlOptions, VsctlResult, CommandResult, TableStyle, TableFormat, CellFormat, RowValues } from './types.js';
