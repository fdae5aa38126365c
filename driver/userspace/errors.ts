// Errors of the userspace datapath. `errno` is the Linux errno the kernel datapath answers with in
// the same situation, so the netlink adapter can put it in NLMSG_ERROR unchanged.
import { OvsError } from '../../engine/util/errors.js';

export class DatapathError extends OvsError {
  readonly errno: number;
  constructor(code: string, errno: number, message: string) {
    super(code, message);
    this.errno = errno;
  }
}

export const ENOENT = 2, EEXIST = 17, ENODEV = 19, EINVAL = 22, EFBIG = 27, ENOSPC = 28, EBUSY = 16, EOPNOTSUPP = 95;

export class NoSuchDatapathError extends DatapathError {
  constructor(name: string) { super('OVS_E_NO_SUCH_DATAPATH', ENODEV, `no datapath named ${JSON.stringify(name)}`); }
}
export class DatapathExistsError extends DatapathError {
  constructor(name: string) { super('OVS_E_DATAPATH_EXISTS', EEXIST, `datapath ${JSON.stringify(name)} already exists`); }
}
export class NoSuchPortError extends DatapathError {
  constructor(what: string | number) { super('OVS_E_NO_SUCH_PORT', ENODEV, `no port ${JSON.stringify(what)} in the datapath`); }
}
export class PortExistsError extends DatapathError {
  constructor(what: string | number) { super('OVS_E_PORT_EXISTS', EEXIST, `port ${JSON.stringify(what)} already exists in the datapath`); }
}
export class NoSuchFlowError extends DatapathError {
  constructor() { super('OVS_E_NO_SUCH_FLOW', ENOENT, 'no such flow in the datapath'); }
}
export class FlowExistsError extends DatapathError {
  constructor() { super('OVS_E_FLOW_EXISTS', EEXIST, 'a flow with this key and mask already exists'); }
}
export class FlowTableFullError extends DatapathError {
  constructor(limit: number) { super('OVS_E_FLOW_TABLE_FULL', EFBIG, `the flow table is full (${limit} flows)`); }
}
export class BadFlowError extends DatapathError {
  constructor(message: string) { super('OVS_E_BAD_FLOW', EINVAL, message); }
}
export class UnsupportedActionError extends DatapathError {
  constructor(what: string) { super('OVS_E_UNSUPPORTED_ACTION', EOPNOTSUPP, `the userspace datapath does not support ${what}`); }
}
