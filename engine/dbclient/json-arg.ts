// JSON given on ovsdb-client's command line (a TRANSACTION, a CONDITION), parsed as OVS parses
// it (engine/util/ovs-json.ts): an error names the text and says where and what is wrong.
import type { Json } from '../ovsdb/api.js';
import { parseOvsJson } from '../util/ovs-json.js';
import { fatal } from './session.js';

export function parseJsonArgument(text: string): Json {
  try {
    return parseOvsJson(text);
  } catch (e) {
    fatal(`"${text}": ${(e as Error).message}`);
  }
}
