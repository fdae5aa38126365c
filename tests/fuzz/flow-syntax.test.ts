// Short fuzz run of the flow-syntax target (see tests/fuzz/targets.ts); the soak runs 100,000+ cases.
import { quickFuzzTest } from './quick.js';

quickFuzzTest('flow-syntax');
