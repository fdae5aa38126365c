// JSON given on ovsdb-client's command line (a TRANSACTION, a CONDITION), parsed as OVS parses
// it: an error names the text and says what is wrong with it.
import type { Json } from '../ovsdb/api.js';
import { fatal } from './session.js';

export function parseJsonArgument(text: string): Json {
  let j: Json;
  try {
    j = JSON.parse(text) as Json;
  } catch (e) {
    fatal(`"${text}": ${(e as Error).message}`);
  }
  if (j === null || typeof j !== 'object') fatal(`"${text}": syntax error at beginning of input`);
  return j;
}
