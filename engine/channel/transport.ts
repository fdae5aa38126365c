// The one place a datapath is plugged in. The engine speaks netlink messages of OVS's datapath
// families to a transport; behind it is our userspace datapath (Linux), the Windows kernel
// extension (DeviceIoControl) or the Linux kernel's openvswitch module (generic netlink).

export interface NetlinkTransport {
  /** The numeric message type of a generic netlink family ("ovs_datapath", "ovs_vport", "ovs_flow",
   *  "ovs_packet", ...): fixed ids on Windows, resolved by CTRL_CMD_GETFAMILY on Linux. */
  resolveFamily(name: string): Promise<number>;
  /** Multicast group id of a family's group (e.g. "ovs_vport"), for event subscription. */
  resolveMulticastGroup(family: string, group: string): Promise<number>;
  /** The port id a datapath sends upcalls to: what vports (OVS_VPORT_ATTR_UPCALL_PID) and a created
   *  datapath (OVS_DP_ATTR_UPCALL_PID) name. Linux: the upcall socket's netlink port id; Windows: the
   *  packet handle's pid (the extension queues a miss on the instance whose pid is the vport's
   *  upcall pid and drops it when none matches). Undefined where upcalls reach every listener. */
  readonly upcallPid?: number;
  /** Sends one request and returns every reply message: one for a plain request (NLMSG_ERROR with
   *  0 for a bare ACK), all parts of a dump (without the final NLMSG_DONE). Requests get
   *  nlmsg_seq and nlmsg_pid filled in by the transport. */
  transact(request: Buffer): Promise<Buffer[]>;
  /** Joins a family's multicast group (e.g. ovs_vport's "ovs_vport": vport NEW/DEL events), whose
   *  messages then reach onMessage listeners. Linux: NETLINK_ADD_MEMBERSHIP on the upcall socket;
   *  Windows: OVS_CTRL_CMD_MC_SUBSCRIBE_REQ on an event handle read with READ_EVENT. Joining twice
   *  is a no-op. */
  subscribeMulticast(family: string, group: string): Promise<void>;
  /** Messages the datapath starts: packet upcalls (ovs_packet MISS/ACTION) and vport events. */
  onMessage(listener: (message: Buffer) => void): () => void;
  close(): Promise<void>;
}
