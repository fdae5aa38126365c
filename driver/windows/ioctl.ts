// The OVS Hyper-V extension's device interface (datapath-windows/include/OvsDpInterfaceExt.h): the
// device path and the IOCTL codes, computed with CTL_CODE from the device type and function numbers.

export const OVS_DEVICE_PATH = '\\\\.\\OpenvSwitchDevice';
export const OVS_DEVICE_TYPE = 45000;

export const METHOD_BUFFERED = 0, METHOD_IN_DIRECT = 1, METHOD_OUT_DIRECT = 2;
export const FILE_ANY_ACCESS = 0, FILE_READ_ACCESS = 1, FILE_WRITE_ACCESS = 2;

/** CTL_CODE(DeviceType, Function, Method, Access) from the Windows DDK. */
export function ctlCode(deviceType: number, fn: number, method: number, access: number): number {
  return ((deviceType << 16) | (access << 14) | (fn << 2) | method) >>> 0;
}

export const IOCTL = {
  GET_PID: ctlCode(OVS_DEVICE_TYPE, 0x100, METHOD_BUFFERED, FILE_WRITE_ACCESS),
  READ: ctlCode(OVS_DEVICE_TYPE, 0x101, METHOD_OUT_DIRECT, FILE_READ_ACCESS),
  READ_EVENT: ctlCode(OVS_DEVICE_TYPE, 0x102, METHOD_OUT_DIRECT, FILE_READ_ACCESS),
  READ_PACKET: ctlCode(OVS_DEVICE_TYPE, 0x103, METHOD_OUT_DIRECT, FILE_READ_ACCESS),
  WRITE: ctlCode(OVS_DEVICE_TYPE, 0x104, METHOD_IN_DIRECT, FILE_READ_ACCESS),
  TRANSACT: ctlCode(OVS_DEVICE_TYPE, 0x105, METHOD_OUT_DIRECT, FILE_WRITE_ACCESS),
} as const;

export type IoctlName = keyof typeof IOCTL;
export const IOCTL_NAMES = new Map<number, IoctlName>(Object.entries(IOCTL).map(([k, v]) => [v, k as IoctlName]));

/** Win32 errors the extension's callers see. */
export const WIN32 = {
  ERROR_FILE_NOT_FOUND: 2, ERROR_ACCESS_DENIED: 5, ERROR_INVALID_PARAMETER: 87, ERROR_NOT_FOUND: 1168, ERROR_IO_PENDING: 997, ERROR_INVALID_FUNCTION: 1,
  /** STATUS_CANCELLED: a pended request completed by CancelIoEx or by closing the handle. */
  ERROR_OPERATION_ABORTED: 995,
  /** STATUS_DEVICE_BUSY: a second pend request while one is still pending on the handle. */
  ERROR_BUSY: 170,
} as const;

/** The OS boundary of the transport: one handle per netlink "socket". Implemented over kernel32 with
 *  ffi-rs on Windows (win32-device.ts), and by a fake extension in tests. */
export interface DeviceIo {
  /** CreateFileW(\\.\OpenvSwitchDevice); throws DeviceError. */
  open(): number;
  /** DeviceIoControl; returns the output bytes (empty when none). Throws DeviceError. */
  ioctl(handle: number, code: number, input: Buffer | undefined, outputSize: number): Promise<Buffer>;
  /** A request the device completes later: OVS's pend_io_request, an overlapped DeviceIoControl
   *  (OVS_IOCTL_WRITE of OVS_CTRL_CMD_WIN_PEND_REQ / WIN_PEND_PACKET_REQ) that the extension
   *  leaves pending until an event or upcall is queued for the handle. Resolves when the device
   *  completes it; rejects with DeviceError(ERROR_OPERATION_ABORTED) when cancelled. */
  pend(handle: number, code: number, input: Buffer): Promise<void>;
  /** CancelIoEx(handle, NULL): completes the handle's pending requests as cancelled. */
  cancelIo(handle: number): void;
  close(handle: number): void;
}

export class DeviceError extends Error {
  constructor(readonly win32: number, message: string) { super(message); }
}

/** A clear message for a Win32 error of the device. */
export function explainDeviceError(win32: number, what: string): string {
  switch (win32) {
    case WIN32.ERROR_FILE_NOT_FOUND:
    case WIN32.ERROR_NOT_FOUND:
      return `${what}: the Open vSwitch extension is not installed or not enabled on any Hyper-V switch (error ${win32})`;
    case WIN32.ERROR_ACCESS_DENIED:
      return `${what}: access denied; run as Administrator or SYSTEM (error ${win32})`;
    case WIN32.ERROR_INVALID_PARAMETER:
      return `${what}: the extension rejected the request (invalid parameter: wrong family, version mismatch or bad message) (error ${win32})`;
    default:
      return `${what}: Windows error ${win32}`;
  }
}
