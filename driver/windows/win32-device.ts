// The real device boundary on Windows: kernel32's CreateFileW / DeviceIoControl / CancelIoEx /
// CloseHandle through ffi-rs. Loaded only on Windows (importing this module elsewhere does not touch
// kernel32). Requests with an immediate answer (GET_PID, TRANSACT, WRITE, READ*) are synchronous
// DeviceIoControl calls; pend requests (WIN_PEND_REQ / WIN_PEND_PACKET_REQ), which the extension
// completes only when an event or upcall is queued, run on an ffi-rs worker thread
// (runInNewThread) so the event loop never waits on them, and end with CancelIoEx on close.
// The Win32 error of every call is read on the thread that made it (ffi-rs `errno`, which is
// GetLastError on Windows). Untested here: this machine has no Windows; the transport logic above it
// is exercised over FakeOvsExtension.
import { createRequire } from 'node:module';
import { DeviceError, OVS_DEVICE_PATH, WIN32, type DeviceIo } from './ioctl.js';

interface Ret { value: unknown; errnoCode: number; errnoMessage: string }
interface LoadParams { library: string; funcName: string; retType: number; paramsType: number[]; paramsValue: unknown[]; errno: true; runInNewThread?: boolean }
interface Ffi {
  open(p: { library: string; path: string }): void;
  load(p: LoadParams & { runInNewThread: true }): Promise<Ret>;
  load(p: LoadParams): Ret;
  DataType: { I32: number; I64: number; U8Array: number; WString: number; Boolean: number };
}

const LIB = 'ovsps-kernel32';
const GENERIC_READ = 0x80000000, GENERIC_WRITE = 0x40000000;
const FILE_SHARE_READ = 1, FILE_SHARE_WRITE = 2, OPEN_EXISTING = 3, FILE_ATTRIBUTE_NORMAL = 0x80;
const INVALID_HANDLE_VALUE = -1;

export class Win32Device implements DeviceIo {
  private readonly ffi: Ffi;

  constructor(private readonly path = OVS_DEVICE_PATH) {
    if (process.platform !== 'win32') throw new DeviceError(WIN32.ERROR_INVALID_FUNCTION, 'the Windows device transport runs only on Windows');
    const require = createRequire(import.meta.url);
    this.ffi = require('ffi-rs') as Ffi;
    this.ffi.open({ library: LIB, path: 'kernel32.dll' });
  }

  open(): number {
    const T = this.ffi.DataType;
    const r = this.ffi.load({
      library: LIB, funcName: 'CreateFileW', retType: T.I64, errno: true,
      paramsType: [T.WString, T.I32, T.I32, T.I64, T.I32, T.I32, T.I64],
      paramsValue: [this.path, (GENERIC_READ | GENERIC_WRITE) | 0, FILE_SHARE_READ | FILE_SHARE_WRITE, 0, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, 0],
    });
    const h = Number(r.value);
    if (h === INVALID_HANDLE_VALUE || h === 0) throw new DeviceError(r.errnoCode, `CreateFileW(${this.path}) failed with error ${r.errnoCode}`);
    return h;
  }

  private params(handle: number, code: number, input: Buffer | undefined, out: Buffer, outputSize: number, returned: Buffer): LoadParams {
    const T = this.ffi.DataType;
    const inBuf = input ?? Buffer.alloc(0);
    return {
      library: LIB, funcName: 'DeviceIoControl', retType: T.Boolean, errno: true,
      paramsType: [T.I64, T.I32, T.U8Array, T.I32, T.U8Array, T.I32, T.U8Array, T.I64],
      paramsValue: [handle, code | 0, inBuf, inBuf.length, out, outputSize, returned, 0],
    };
  }

  async ioctl(handle: number, code: number, input: Buffer | undefined, outputSize: number): Promise<Buffer> {
    const out = Buffer.alloc(Math.max(outputSize, 1));
    const returned = Buffer.alloc(4);
    const r = this.ffi.load(this.params(handle, code, input, out, outputSize, returned));
    if (!r.value) throw new DeviceError(r.errnoCode, `DeviceIoControl(0x${code.toString(16)}) failed with error ${r.errnoCode}`);
    return out.subarray(0, returned.readUInt32LE(0));
  }

  async pend(handle: number, code: number, input: Buffer): Promise<void> {
    const r = await this.ffi.load({ ...this.params(handle, code, input, Buffer.alloc(1), 0, Buffer.alloc(4)), runInNewThread: true });
    if (!r.value) throw new DeviceError(r.errnoCode, `pending DeviceIoControl(0x${code.toString(16)}) ended with error ${r.errnoCode}`);
  }

  cancelIo(handle: number): void {
    const T = this.ffi.DataType;
    // ERROR_NOT_FOUND (nothing pending) is not an error here.
    this.ffi.load({ library: LIB, funcName: 'CancelIoEx', retType: T.Boolean, errno: true, paramsType: [T.I64, T.I64], paramsValue: [handle, 0] });
  }

  close(handle: number): void {
    const T = this.ffi.DataType;
    this.ffi.load({ library: LIB, funcName: 'CloseHandle', retType: T.Boolean, errno: true, paramsType: [T.I64], paramsValue: [handle] });
  }
}
