// Loads our OVSDB engine (h1's engine/ovsdb/schema.js and database.js) when it has been built, so
// tests written against the contract can run before and after it lands. Returns undefined if absent.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../../engine/setup/paths.js';
import type { Database, Json } from '../../engine/ovsdb/api.js';

export interface ProbedSchema { name: string; version: string; tables: Map<string, unknown> }
export interface ProbedEngine {
  parseSchema(json: unknown): ProbedSchema;
  createDatabase(schema: ProbedSchema): Database;
}

async function load(rel: string): Promise<Record<string, unknown> | undefined> {
  const p = join(projectRoot, '.build', 'engine', 'ovsdb', rel);
  if (!existsSync(p)) return undefined;
  return (await import(pathToFileURL(p).href)) as Record<string, unknown>;
}

export async function loadEngine(): Promise<ProbedEngine | undefined> {
  const schema = await load('schema.js');
  const database = await load('database.js');
  if (typeof schema?.parseSchema !== 'function' || typeof database?.createDatabase !== 'function') return undefined;
  return {
    parseSchema: schema.parseSchema as ProbedEngine['parseSchema'],
    createDatabase: database.createDatabase as ProbedEngine['createDatabase'],
  };
}

export async function tryParseSchema(json: Json | Record<string, unknown>): Promise<ProbedSchema | undefined> {
  const schema = await load('schema.js');
  if (typeof schema?.parseSchema !== 'function') return undefined;
  return (schema.parseSchema as ProbedEngine['parseSchema'])(json);
}
