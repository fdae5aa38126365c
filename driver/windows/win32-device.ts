// The real device boundary on Windows: kernel32's CreateFileW / DeviceIoControl / CloseHandle
// through ffi-rs. Loaded only on Windows (importing this module elsewhere does not touch kernel32).
// Calls are synchronous DeviceIoControl (no OVERLAPPED): the transport polls READ_PACKET, so no
// call blocks for long. Untested here: this machine has no Windows; the transport logic above it is
// exercised over FakeOvsExtension.
import { createRequire } from 'node:module';
import { DeviceError, OVS_DEVICE_PATH, type DeviceIo } from './ioctl.js';

interface Ffi {
  open(p: { library: string; path: string }): void;
  load(p: { library: string; funcName: string; retType: number; paramsType: number[]; paramsValue: unknown[] }): unknown;
  DataType: { I32: number; I64: number; U8Array: number; WString: number; Boolean: number };
}

const LIB = 'ovsps-kernel32';
const GENERIC_READ = 0x80000000, GENERIC_WRITE = 0x40000000;
const FILE_SHARE_READ = 1, FILE_SHARE_WRITE = 2, OPEN_EXISTING = 3, FILE_ATTRIBUTE_NORMAL = 0x80;
const INVALID_HANDLE_VALUE = -1;

export class Win32Device implements DeviceIo {
  private readonly ffi: Ffi;

  constructor(private readonly path = OVS_DEVICE_PATH) {
    if (process.platform !== 'win32') throw new DeviceError(1, 'the Windows device transport runs only on Windows');
    const require = createRequire(import.meta.url);
    this.ffi = require('ffi-rs') as Ffi;
    this.ffi.open({ library: LIB, path: 'kernel32.dll' });
  }

  private lastError(): number {
    return Number(this.ffi.load({ library: LIB, funcName: 'GetLastError', retType: this.ffi.DataType.I32, paramsType: [], paramsValue: [] }));
  }

  open(): number {
    const T = this.ffi.DataType;
    const h = Number(this.ffi.load({
      library: LIB, funcName: 'CreateFileW', retType: T.I64,
      paramsType: [T.WString, T.I32, T.I32, T.I64, T.I32, T.I32, T.I64],
      paramsValue: [this.path, (GENERIC_READ | GENERIC_WRITE) | 0, FILE_SHARE_READ | FILE_SHARE_WRITE, 0, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, 0],
    }));
    if (h === INVALID_HANDLE_VALUE || h === 0) {
      const err = this.lastError();
      throw new DeviceError(err, `CreateFileW(${this.path}) failed with error ${err}`);
    }
    return h;
  }

  async ioctl(handle: number, code: number, input: Buffer | undefined, outputSize: number): Promise<Buffer> {
    const T = this.ffi.DataType;
    const inBuf = input ?? Buffer.alloc(0);
    const out = Buffer.alloc(Math.max(outputSize, 1));
    const returned = Buffer.alloc(4);
    const ok = this.ffi.load({
      library: LIB, funcName: 'DeviceIoControl', retType: T.Boolean,
      paramsType: [T.I64, T.I32, T.U8Array, T.I32, T.U8Array, T.I32, T.U8Array, T.I64],
      paramsValue: [handle, code | 0, inBuf, inBuf.length, out, outputSize, returned, 0],
    });
    if (!ok) {
      const err = this.lastError();
      throw new DeviceError(err, `DeviceIoControl(0x${code.toString(16)}) failed with error ${err}`);
    }
    return out.subarray(0, returned.readUInt32LE(0));
  }

  close(handle: number): void {
    const T = this.ffi.DataType;
    this.ffi.load({ library: LIB, funcName: 'CloseHandle', retType: T.Boolean, paramsType: [T.I64], paramsValue: [handle] });
  }
}
