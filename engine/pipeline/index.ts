// The pipeline's public surface: OpenFlow tables, NORMAL and translation of upcalls into
// datapath megaflows, pure TypeScript with no I/O.
export { Pipeline } from './pipeline.js';
export type { Upcall, InstalledFlow, RevalidateVerdict, TranslateOptions } from './pipeline.js';
export { Bridge, FlowModError, N_TABLES, INTERNAL_TABLE } from './bridge.js';
export type { PortSpec, BridgePort, FlowRule, BridgeOptions, FlowModResult } from './bridge.js';
export {
  parseFlowMod, parseFlowFile, parseActions, formatFlowMod, formatFlowStats, formatMatch, formatActions, FlowSyntaxError,
  DEFAULT_PRIORITY,
} from './flow-syntax.js';
export type { FlowMod, FlowModCommand, FlowModFlags, FlowStatsView } from './flow-syntax.js';
export type { OfAction, Subfield } from './actions.js';
export type { XlateResult } from './xlate.js';
export { MAX_DEPTH, MAX_RESUBMITS } from './xlate.js';
export { MacLearningTable, resolvePortVlan, MAC_DEFAULT_IDLE_S, MAC_DEFAULT_MAX } from './normal.js';
export type { VlanMode, PortVlanConfig, MacEntry } from './normal.js';
export { Classifier } from './classifier.js';
export { MirrorSet, MAX_MIRRORS } from './mirror.js';
export type { MirrorSpec, BridgeMirror } from './mirror.js';
