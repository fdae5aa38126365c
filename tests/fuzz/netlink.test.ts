// Short fuzz run of the netlink-decoder target (see tests/fuzz/targets.ts); the soak runs 100,000+ cases.
import { quickFuzzTest } from './quick.js';

quickFuzzTest('netlink-decoder');
