// How ovs-vsctl lets users name rows of each vswitch table besides by UUID (ovs-vsctl.c tables[]):
// by a name column of the table itself, or through a column of a referring table.

export interface RowId {
  /** Table that holds the name column. */
  nameTable: string;
  nameColumn: string;
  /** When set, the row is found through this uuid column of the `nameTable` row. */
  uuidColumn?: string;
}

export const ROW_IDS: Record<string, RowId> = {
  Bridge: { nameTable: 'Bridge', nameColumn: 'name' },
  Controller: { nameTable: 'Bridge', nameColumn: 'name', uuidColumn: 'controller' },
  Interface: { nameTable: 'Interface', nameColumn: 'name' },
  Mirror: { nameTable: 'Mirror', nameColumn: 'name' },
  Manager: { nameTable: 'Manager', nameColumn: 'target' },
  NetFlow: { nameTable: 'Bridge', nameColumn: 'name', uuidColumn: 'netflow' },
  Port: { nameTable: 'Port', nameColumn: 'name' },
  QoS: { nameTable: 'Port', nameColumn: 'name', uuidColumn: 'qos' },
  sFlow: { nameTable: 'Bridge', nameColumn: 'name', uuidColumn: 'sflow' },
  Flow_Table: { nameTable: 'Flow_Table', nameColumn: 'name' },
  IPFIX: { nameTable: 'Bridge', nameColumn: 'name', uuidColumn: 'ipfix' },
  AutoAttach: { nameTable: 'Bridge', nameColumn: 'name', uuidColumn: 'auto_attach' },
  Flow_Sample_Collector_Set: { nameTable: 'Flow_Sample_Collector_Set', nameColumn: 'id' },
};

/** The tables `show` prints, with their name column and the columns it shows (ovs-vsctl.c). */
export const SHOW_TABLES: Array<{ table: string; nameColumn?: string; columns: string[] }> = [
  { table: 'Open_vSwitch', columns: ['manager_options', 'bridges', 'ovs_version'] },
  { table: 'Bridge', nameColumn: 'name', columns: ['controller', 'fail_mode', 'datapath_type', 'ports'] },
  { table: 'Port', nameColumn: 'name', columns: ['tag', 'trunks', 'interfaces'] },
  { table: 'Interface', nameColumn: 'name', columns: ['type', 'options', 'error', 'bfd_status'] },
  { table: 'Controller', nameColumn: 'target', columns: ['is_connected'] },
  { table: 'Manager', nameColumn: 'target', columns: ['is_connected'] },
];
