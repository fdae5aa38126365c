// Reading an .ovsschema file the way OVS's tools report it: ovsdb-tool and ovsdb-client both say
// `failed to read schema: "FILE" could not be read as JSON (...)` for a file that cannot be
// opened or parsed (OVS's JSON parser and its messages), and, for a schema that breaks a rule, OVS's
// first error wrapped as ovsdb_schema_from_file wraps it:
// `syntax "<json>": syntax error: failed to parse "FILE" as ovsdb schema: <details>`.
import { readFileSync } from 'node:fs';
import { parseSchema, type DatabaseSchema } from './schema.js';
import { OvsSchemaError } from './schema-ovs-check.js';
import { SchemaError } from './errors.js';
import { strerror } from '../util/errno-text.js';
import { parseOvsJson } from '../util/ovs-json.js';

export function readSchemaFile(path: string): DatabaseSchema {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SchemaError(`failed to read schema: "${path}" could not be read as JSON (error opening "${path}": ${strerror(e as NodeJS.ErrnoException)})`);
  }
  let json: unknown;
  try {
    json = parseOvsJson(text);
  } catch (e) {
    throw new SchemaError(`failed to read schema: "${path}" could not be read as JSON (${(e as Error).message})`);
  }
  try {
    return parseSchema(json);
  } catch (e) {
    if (e instanceof OvsSchemaError) throw e.wrap(`failed to parse "${path}" as ovsdb schema`);
    throw e;
  }
}
