// Short fuzz run of the server-connection target (see tests/fuzz/targets.ts); the soak runs 100,000+ cases.
import { quickFuzzTest } from './quick.js';

quickFuzzTest('server-connection');
