// Short fuzz run of the jsonrpc-splitter target (see tests/fuzz/targets.ts); the soak runs 100,000+ cases.
import { quickFuzzTest } from './quick.js';

quickFuzzTest('jsonrpc-splitter');
