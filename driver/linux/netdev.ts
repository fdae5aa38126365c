// Link-level settings of an existing interface by name (flags, MTU, MAC, ifindex) through the
// classic SIOC*IF* ioctls, as OVS's netdev-linux does.
import { existsSync } from 'node:fs';
import { InvalidInputError, OvsError } from '../../engine/util/errors.js';
import * as n from './native.js';

export class NoSuchInterfaceError extends OvsError {
  constructor(name: string) {
    super('OVS_E_NO_SUCH_INTERFACE', `no network interface named ${JSON.stringify(name)}`);
  }
}

export function interfaceExists(name: string): boolean {
  n.checkIfName(name);
  return existsSync(`/sys/class/net/${name}`);
}

export function ifIndex(name: string): number {
  n.checkIfName(name);
  const i = n.ifNameToIndex(name);
  if (i === 0) throw new NoSuchInterfaceError(name);
  return i;
}

function flags(fd: number, name: string): number {
  const r = n.ifreq(name);
  n.ioctl(fd, n.SIOCGIFFLAGS, r, name);
  return r.readUInt16LE(16);
}

export function setUp(name: string, up = true): void {
  n.withControlSocket((fd) => {
    const f = flags(fd, name);
    const want = up ? f | n.IFF_UP : f & ~n.IFF_UP;
    if (want === f) return;
    const r = n.ifreq(name);
    r.writeUInt16LE(want, 16);
    n.ioctl(fd, n.SIOCSIFFLAGS, r, name);
  });
}

export function isUp(name: string): boolean {
  return n.withControlSocket((fd) => (flags(fd, name) & n.IFF_UP) !== 0);
}

export function getMtu(name: string): number {
  return n.withControlSocket((fd) => {
    const r = n.ifreq(name);
    n.ioctl(fd, n.SIOCGIFMTU, r, name);
    return r.readInt32LE(16);
  });
}

export function setMtu(name: string, mtu: number): void {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new InvalidInputError(`invalid MTU ${String(mtu)} for ${name}: expected an integer 68-65535`);
  n.withControlSocket((fd) => {
    const r = n.ifreq(name);
    r.writeInt32LE(mtu, 16);
    n.ioctl(fd, n.SIOCSIFMTU, r, name);
  });
}

export function getMac(name: string): string {
  return n.withControlSocket((fd) => {
    const r = n.ifreq(name);
    n.ioctl(fd, n.SIOCGIFHWADDR, r, name);
    return macToString(r, 18);
  });
}

export function setMac(name: string, mac: string): void {
  const bytes = parseMac(mac);
  n.withControlSocket((fd) => {
    const r = n.ifreq(name);
    r.writeUInt16LE(1, 16); // ARPHRD_ETHER
    bytes.copy(r, 18);
    n.ioctl(fd, n.SIOCSIFHWADDR, r, name);
  });
}

export class InvalidMacError extends OvsError {
  constructor(mac: unknown) {
    super('OVS_E_INVALID_INPUT', `invalid MAC address ${JSON.stringify(mac)}: expected six hex bytes like aa:bb:cc:dd:ee:ff`);
  }
}

export function parseMac(mac: string): Buffer {
  if (typeof mac !== 'string' || !/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(mac)) throw new InvalidMacError(mac);
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

export function macToString(b: Uint8Array, off: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + (b[off + i] ?? 0).toString(16).padStart(2, '0');
  return s;
}
