// Typed errors of the ovs-vsctl library. `message` is exactly what ovs-vsctl prints after
// "ovs-vsctl: "; `exitCode` is the process status the CLI uses.
import { OvsError } from '../util/errors.js';

export type VsctlErrorCode =
  | 'OVS_E_VSCTL_USAGE'        // bad command line: unknown command/option, wrong argument count
  | 'OVS_E_VSCTL_NOT_FOUND'    // no bridge/port/interface/row/key named ...
  | 'OVS_E_VSCTL_CONFLICT'     // already exists, --may-exist mismatch
  | 'OVS_E_VSCTL_BAD_VALUE'    // value syntax or constraint error, unknown table/column
  | 'OVS_E_VSCTL_TRANSACTION'  // the server rejected the transaction
  | 'OVS_E_VSCTL_CONNECTION'   // cannot reach the database
  | 'OVS_E_VSCTL_TIMEOUT'      // --timeout expired, or ovs-vswitchd never applied the change
  | 'OVS_E_VSCTL_FAILED';      // any other command failure

export class VsctlError extends OvsError {
  readonly exitCode: number;
  constructor(code: VsctlErrorCode, message: string, exitCode = 1) {
    super(code, message);
    this.exitCode = exitCode;
  }
}

/** br-exists on a missing bridge: not an error message, just exit status 2. */
export class VsctlExit extends OvsError {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super('OVS_E_VSCTL_EXIT', `exit status ${exitCode}`);
    this.exitCode = exitCode;
  }
}

export function usageError(message: string): VsctlError {
  return new VsctlError('OVS_E_VSCTL_USAGE', message);
}
export function notFound(message: string): VsctlError {
  return new VsctlError('OVS_E_VSCTL_NOT_FOUND', message);
}
export function conflict(message: string): VsctlError {
  return new VsctlError('OVS_E_VSCTL_CONFLICT', message);
}
export function badValue(message: string): VsctlError {
  return new VsctlError('OVS_E_VSCTL_BAD_VALUE', message);
}
export function failed(message: string): VsctlError {
  return new VsctlError('OVS_E_VSCTL_FAILED', message);
}
