// Schema files for needs-conversion and convert, read with the core's schema parser (loaded only
// by these commands: it brings the JSON schema validator).
import type { JsonObject } from '../ovsdb/api.js';
import type { DatabaseSchema } from '../ovsdb/schema.js';
import { fatal } from './session.js';

export interface SchemaFile {
  name: string;
  schema: DatabaseSchema;
  /** The schema as OVS sends it in "convert" (ovsdb_schema_to_json: defaults dropped). */
  json: JsonObject;
}

export async function loadSchemaForClient(path: string): Promise<SchemaFile> {
  const [{ readSchemaFile }, { canonicalSchemaJson }] = await Promise.all([import('../ovsdb/schema-file.js'), import('../ovsdb/schema-canonical.js')]);
  let schema: DatabaseSchema;
  try {
    schema = readSchemaFile(path);
  } catch (e) {
    fatal((e as Error).message);
  }
  return { name: schema.name, schema, json: canonicalSchemaJson(schema) };
}

/** ovsdb_schema_equal, negated: the served schema (get_schema's reply) against a file's. */
export async function schemasDiffer(file: SchemaFile, served: JsonObject): Promise<boolean> {
  const [{ parseSchema }, { schemasEqual }] = await Promise.all([import('../ovsdb/schema.js'), import('../ovsdb/schema-canonical.js')]);
  return !schemasEqual(file.schema, parseSchema(served));
}
