// Fuzz target: ovs-vsctl's argument handling (engine/vsctl): parseGlobalOptions and
// parseCommandLine on random argument vectors built from real options, command names and
// argument shapes (tables, records, column[:key]=value, "--"), and, for what parses, execution of
// the commands against an in-memory vswitch database (with --no-wait). Only typed errors
// (VsctlError, VsctlExit, or another OvsError) may escape.
import fc from 'fast-check';
import type { Json } from '../../engine/ovsdb/api.js';
import { createDatabase, type MemoryDatabase } from '../../engine/ovsdb/database.js';
import { LocalClient } from '../../engine/ovsdb/local-client.js';
import { readSchemaFile } from '../../engine/ovsdb/schema-file.js';
import { parseGlobalOptions } from '../../engine/vsctl/cli-options.js';
import { ALL_COMMANDS, parseCommandLine } from '../../engine/vsctl/commands.js';
import { executeParsed } from '../../engine/vsctl/execute.js';
import { VSWITCH_SCHEMA } from '../soak/servers.js';
import { expectTyped, type FuzzTarget } from './harness.js';
import { stringifyJson } from '../../engine/util/json-int64.js';

const COMMANDS = [...ALL_COMMANDS.keys()].filter((c) => !c.startsWith('wait'));
const GLOBAL = ['--db=unix:x', '--no-wait', '--dry-run', '--oneline', '-t', '5', '--timeout=1', '--timeout=x', '--format=json',
  '--format=table', '--format=csv', '--format=bogus', '-f', 'html', '--data=bare', '-d', 'json', '--no-headings', '--pretty',
  '--bare', '--max-column-width=3', '--columns=name', '--id=@b', '--if-exists', '--may-exist', '--all', '--real', '--fake',
  '--with-iface', '--bootstrap', '--inactivity-probe=5', '-v', '--verbose=dbg', '--help', '-h', '--version', '--commands',
  '--options', '--retry', '--=', '-', '--', '--', '--'];
const WORDS = ['br0', 'br1', 'p1', 'p2', 'Bridge', 'Port', 'Interface', 'Open_vSwitch', 'Controller', 'Manager', 'bridge', 'br',
  'name', 'ports', 'external_ids', 'other_config', 'external_ids:k=v', 'external-ids:k', 'other_config:a="b"', 'name=br9',
  'ports=[]', 'fail_mode=secure', 'fail_mode=bogus', 'stp_enable=true', 'mtu_request=-5', 'ofport_request=70000',
  'tag=4096', 'tag=5', 'trunks=1,2,3', 'trunks=[1,2,3]', 'external_ids={a=b,c=d}', 'external_ids:={}', '.', '@b',
  'tcp:127.0.0.1:6653', 'ptcp:', 'unix:/x', '{', '}', '[', ']', '=', ':', '"', '"\\"', 'x'.repeat(40), '', '0', '-1', '1e999',
  'type=internal', 'options:remote_ip=1.2.3.4', 'type=vxlan', 'secure', 'standalone', 'name!=br0', 'name{>=}br', '_uuid',
  '00000000-0000-0000-0000-000000000000', 'ports:0', 'external_ids:a', 'a=b=c'];

export interface VsctlInput { argv: string[]; execute: boolean }

const SCHEMA = readSchemaFile(VSWITCH_SCHEMA);
let db: MemoryDatabase | undefined;
let uses = 0;

async function freshDb(): Promise<MemoryDatabase> {
  const d = createDatabase(SCHEMA);
  await d.transact([
    { op: 'insert', table: 'Interface', 'uuid-name': 'i', row: { name: 'p1' } },
    { op: 'insert', table: 'Port', 'uuid-name': 'p', row: { name: 'p1', interfaces: ['named-uuid', 'i'] } },
    { op: 'insert', table: 'Interface', 'uuid-name': 'i0', row: { name: 'br0', type: 'internal' } },
    { op: 'insert', table: 'Port', 'uuid-name': 'p0', row: { name: 'br0', interfaces: ['named-uuid', 'i0'] } },
    { op: 'insert', table: 'Bridge', 'uuid-name': 'b', row: { name: 'br0', ports: ['set', [['named-uuid', 'p'], ['named-uuid', 'p0']]] } },
    { op: 'insert', table: 'Open_vSwitch', row: { bridges: ['named-uuid', 'b'] } },
  ]);
  return d;
}

export const vsctlTarget: FuzzTarget<VsctlInput> = {
  name: 'vsctl-args',
  arbitrary: () => fc.record({
    argv: fc.array(fc.oneof(
      { arbitrary: fc.constantFrom(...COMMANDS), weight: 3 }, { arbitrary: fc.constantFrom(...GLOBAL), weight: 2 },
      { arbitrary: fc.constantFrom(...WORDS), weight: 4 }, { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
    ), { maxLength: 10 }),
    execute: fc.boolean(),
  }),
  async check(input) {
    let commands;
    try {
      const g = parseGlobalOptions(input.argv);
      if (g.action) return;
      commands = parseCommandLine(g.rest, g.local);
    } catch (e) {
      expectTyped(e, 'parseGlobalOptions/parseCommandLine', ['OVS_E_VSCTL_USAGE', 'OVS_E_VSCTL_BAD_VALUE']);
      return;
    }
    if (!input.execute) return;
    if (!db || ++uses > 200) { db = await freshDb(); uses = 0; }
    try {
      await executeParsed(new LocalClient(new Map([['Open_vSwitch', db]])), commands, { noWait: true });
    } catch (e) {
      expectTyped(e, `executing ${stringifyJson(input.argv)}`);
    }
  },
  toJson: (i) => ({ argv: i.argv, execute: i.execute }),
  fromJson: (j) => j as unknown as VsctlInput,
};

export type { Json };
