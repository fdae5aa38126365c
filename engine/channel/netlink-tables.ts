// The datapath families' netlink tables (manifests/netlink/ovs-datapath.json) loaded once and
// indexed both ways (attribute name <-> number), so the codec never hard-codes a number.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../setup/paths.js';

export type AttrValueType =
  | 'u8' | 'u16' | 'u32' | 'u64' | 'be16' | 'be32' | 'be64'
  | 'string' | 'flag' | 'binary' | 'struct' | 'nested' | 'nestedArray'
  | 'u32array' | 'ipv4' | 'ipv6' | 'mac';

export type StructFieldType = 'u8' | 'u16' | 'u32' | 'u64' | 'be16' | 'be32' | 'ipv4' | 'ipv6' | 'mac';

export interface AttrSpec {
  id: number;
  name: string;
  type: AttrValueType;
  attributeSet?: string;
  struct?: string;
  length?: number;
}

export interface AttrSet {
  name: string;
  byId: Map<number, AttrSpec>;
  byName: Map<string, AttrSpec>;
}

export interface StructSpec { name: string; size: number; fields: Array<[string, StructFieldType]> }

export interface FamilySpec {
  name: string;
  version: number;
  windowsId: number;
  windowsOnly: boolean;
  commands: Map<string, number>;
  commandNames: Map<number, string>;
  attributeSet: string;
  mcgroups: Array<{ name: string; windowsId: number }>;
}

export interface NetlinkTables {
  flags: Record<string, number>;
  types: Record<string, number>;
  controller: { id: number; version: number; commands: Record<string, number>; attributeSet: string };
  families: Map<string, FamilySpec>;
  sets: Map<string, AttrSet>;
  structs: Map<string, StructSpec>;
  vportTypes: Map<string, number>;
}

interface RawTables {
  netlink: { types: Record<string, number>; flags: Record<string, number> };
  genlController: { id: number; version: number; commands: Record<string, number>; attributeSet: string };
  families: Record<string, { version: number; windowsId: number; windowsOnly?: boolean; commands: Record<string, number>; attributeSet: string; mcgroups: Array<{ name: string; windowsId: number }> }>;
  attributeSets: Record<string, Record<string, { name: string; type: AttrValueType; attributeSet?: string; struct?: string; length?: number }>>;
  structs: Record<string, { size: number; fields: Array<[string, StructFieldType]> }>;
  vportTypes: Record<string, number>;
}

let cached: NetlinkTables | undefined;

export function netlinkTables(): NetlinkTables {
  if (cached) return cached;
  const raw = JSON.parse(readFileSync(join(projectRoot, 'manifests', 'netlink', 'ovs-datapath.json'), 'utf8')) as RawTables;
  const sets = new Map<string, AttrSet>();
  for (const [setName, attrs] of Object.entries(raw.attributeSets)) {
    const set: AttrSet = { name: setName, byId: new Map(), byName: new Map() };
    for (const [id, a] of Object.entries(attrs)) {
      const spec: AttrSpec = { id: Number(id), ...a };
      set.byId.set(spec.id, spec);
      set.byName.set(spec.name, spec);
    }
    sets.set(setName, set);
  }
  const families = new Map<string, FamilySpec>();
  for (const [name, f] of Object.entries(raw.families)) {
    const commands = new Map(Object.entries(f.commands));
    families.set(name, {
      name, version: f.version, windowsId: f.windowsId, windowsOnly: f.windowsOnly === true,
      commands, commandNames: new Map([...commands].map(([k, v]) => [v, k])), attributeSet: f.attributeSet, mcgroups: f.mcgroups,
    });
  }
  const structs = new Map<string, StructSpec>();
  for (const [name, s] of Object.entries(raw.structs)) structs.set(name, { name, size: s.size, fields: s.fields });
  // Self-check the data: every referenced set/struct exists and struct sizes add up.
  for (const set of sets.values()) {
    for (const a of set.byId.values()) {
      if (a.attributeSet && !sets.has(a.attributeSet)) throw new Error(`netlink tables: ${set.name}.${a.name} names unknown attribute set ${a.attributeSet}`);
      if (a.type === 'struct' && (!a.struct || !structs.has(a.struct))) throw new Error(`netlink tables: ${set.name}.${a.name} names unknown struct ${a.struct}`);
    }
  }
  cached = {
    flags: raw.netlink.flags, types: raw.netlink.types, controller: raw.genlController,
    families, sets, structs, vportTypes: new Map(Object.entries(raw.vportTypes)),
  };
  return cached;
}

export function attrSet(name: string): AttrSet {
  const s = netlinkTables().sets.get(name);
  if (!s) throw new Error(`unknown netlink attribute set ${name}`);
  return s;
}

export function familySpec(name: string): FamilySpec {
  const f = netlinkTables().families.get(name);
  if (!f) throw new Error(`unknown datapath family ${name}`);
  return f;
}

/** The attribute number of `name` in `set` (throws for a name the tables do not have). */
export function attrId(set: string, name: string): number {
  const a = attrSet(set).byName.get(name);
  if (!a) throw new Error(`netlink attribute set ${set} has no attribute ${name}`);
  return a.id;
}
