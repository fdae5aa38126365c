// The columns the switch writes and never reads as configuration (ovs-vswitchd's
// ovsdb_idl_omit_alert columns in bridge.c, plus what ovsdb-server writes into Manager rows). A
// commit that changes nothing but these needs no reconfiguration: without this, the switch's own
// statistics write (every stats-update-interval) made it reconfigure every bridge and port.
const STATUS_COLUMNS: Readonly<Record<string, ReadonlySet<string>>> = {
  Open_vSwitch: new Set(['cur_cfg', 'statistics', 'datapath_types', 'iface_types', 'ovs_version', 'db_version', 'system_type', 'system_version', 'dpdk_version', 'dpdk_initialized']),
  Bridge: new Set(['datapath_id', 'datapath_version', 'status', 'rstp_status']),
  Port: new Set(['status', 'statistics', 'rstp_status', 'rstp_statistics', 'bond_active_slave']),
  Interface: new Set(['admin_state', 'duplex', 'link_speed', 'link_state', 'link_resets', 'mac_in_use', 'ifindex', 'mtu', 'ofport', 'statistics', 'status',
    'cfm_fault', 'cfm_fault_status', 'cfm_remote_mpids', 'cfm_flap_count', 'cfm_health', 'cfm_remote_opstate', 'bfd_status', 'lacp_current', 'error']),
  Controller: new Set(['is_connected', 'role', 'status']),
  Manager: new Set(['is_connected', 'status']),
  Mirror: new Set(['statistics']),
};

/** True when `columns` (the columns one modification of a `table` row changed; `_version` is
 *  ignored) are all status columns, so the change is no reason to reconfigure. */
export function isStatusOnly(table: string, columns: Iterable<string>): boolean {
  const status = STATUS_COLUMNS[table];
  if (!status) return false;
  for (const c of columns) if (c !== '_version' && c !== '_uuid' && !status.has(c)) return false;
  return true;
}
