// Short fuzz run of the transact target (see tests/fuzz/targets.ts); the soak runs 100,000+ cases.
import { quickFuzzTest } from './quick.js';

quickFuzzTest('transact');
