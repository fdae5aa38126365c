// TAP devices: the datapath's internal ports (and a way to give a "VM" a vNIC the engine owns).
// Opens /dev/net/tun, TUNSETIFF with IFF_TAP|IFF_NO_PI, then sets MAC/MTU and brings it up (a down
// TAP answers write() with EIO). The fd is non-blocking; frames are whole Ethernet frames.
import { constants, openSync } from 'node:fs';
import * as n from './native.js';
import { getMac, ifIndex, setMac, setMtu, setUp } from './netdev.js';

export interface TapOptions {
  mac?: string;
  mtu?: number;
  /** Bring the link up (default true). */
  up?: boolean;
}

export interface TapDevice {
  readonly name: string;
  readonly fd: number;
  readonly ifindex: number;
  readonly mac: string;
  /** Closing the fd removes the device (it is not persistent). */
  close(): void;
}

export function createTap(name: string, opts: TapOptions = {}): TapDevice {
  const req = n.ifreq(name);
  const fd = openSync('/dev/net/tun', constants.O_RDWR | constants.O_NONBLOCK | 0o2000000 /* O_CLOEXEC */);
  try {
    req.writeUInt16LE(n.IFF_TAP | n.IFF_NO_PI, 16);
    n.ioctl(fd, n.TUNSETIFF, req, `TUNSETIFF ${name}`);
    if (opts.mac !== undefined) setMac(name, opts.mac);
    if (opts.mtu !== undefined) setMtu(name, opts.mtu);
    if (opts.up !== false) setUp(name, true);
    let closed = false;
    return {
      name, fd, ifindex: ifIndex(name), mac: getMac(name),
      close() { if (!closed) { closed = true; n.closeFd(fd); } },
    };
  } catch (e) {
    n.closeFd(fd);
    throw e;
  }
}
