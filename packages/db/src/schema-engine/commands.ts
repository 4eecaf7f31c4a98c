import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { schemaEngineAdapterFactory } from './adapter.ts';
import { loadSchemaEngineWasm, type WasmSchemaEngine } from './wasm.ts';

export type DiffSource = { from: 'empty' } | { from: 'migrations'; migrationsDir: string };

export interface DiffOptions {
  /** Any reachable database on the server; `from: 'migrations'` creates shadow databases next to it. */
  databaseUrl: string;
  schemaPath: string;
  source: DiffSource;
}

interface MigrationsList {
  baseDir: string;
  lockfile: { path: string; content: string | null };
  migrationDirectories: { path: string; migrationFile: { path: string; content: { tag: 'ok'; value: string } } }[];
  shadowDbInitScript: string;
}

async function migrationsList(dir: string): Promise<MigrationsList> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort((a, b) => a.localeCompare(b));
  const migrationDirectories = [];
  for (const name of names) {
    const value = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
    migrationDirectories.push({ path: name, migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value } } });
  }
  const lock = await readFile(path.join(dir, 'migration_lock.toml'), 'utf8').catch(() => null);
  return { baseDir: dir, lockfile: { path: 'migration_lock.toml', content: lock }, migrationDirectories, shadowDbInitScript: '' };
}

/**
 * `prisma migrate diff --from-empty|--from-migrations <dir> --to-schema <schema> --script`,
 * computed by Prisma's own schema engine (WebAssembly build), offline. Returns the SQL script
 * (Prisma prints "-- This is an empty migration." when there is nothing to do).
 */
async function withEngine<T>(databaseUrl: string, schemaPath: string, fn: (engine: WasmSchemaEngine, schema: string) => Promise<T>): Promise<T> {
  const schema = await readFile(schemaPath, 'utf8');
  const engines = loadSchemaEngineWasm();
  const adapters = schemaEngineAdapterFactory(databaseUrl);
  let engine: WasmSchemaEngine | undefined;
  try {
    engine = await engines.newEngine({ datamodels: [[path.basename(schemaPath), schema]] }, () => undefined, bindMigrationAwareSqlAdapterFactory(adapters));
    return await fn(engine, schema);
  } finally {
    engine?.free();
    await adapters.close();
  }
}

const noFilters = { externalTables: [], externalEnums: [] };

/**
 * `prisma migrate diff --from-empty|--from-migrations <dir> --to-schema <schema> --script`,
 * computed by Prisma's own schema engine (WebAssembly build), offline. Returns the SQL script
 * (Prisma prints "-- This is an empty migration." when there is nothing to do).
 */
export async function diffToSchema(options: DiffOptions): Promise<string> {
  const from = options.source.from === 'empty' ? { tag: 'empty' } : { tag: 'migrations', ...(await migrationsList(options.source.migrationsDir)) };
  return withEngine(options.databaseUrl, options.schemaPath, async (engine, schema) => {
    const result = (await engine.call('diff', {
      from,
      to: { tag: 'schemaDatamodel', files: [{ path: path.basename(options.schemaPath), content: schema }] },
      script: true,
      exitCode: null,
      filters: noFilters,
    })) as { exitCode: number; stdout?: string | null };
    return result.stdout ?? '';
  });
}

/**
 * `prisma migrate deploy`, by Prisma's own schema engine (WebAssembly build), offline: applies
 * the unapplied migrations to the (existing) database and returns their names.
 */
export async function prismaMigrateDeploy(options: { databaseUrl: string; schemaPath: string; migrationsDir: string }): Promise<string[]> {
  const migrationsListInput = await migrationsList(options.migrationsDir);
  return withEngine(options.databaseUrl, options.schemaPath, async (engine) => {
    const result = (await engine.call('applyMigrations', { migrationsList: migrationsListInput, filters: noFilters })) as { appliedMigrationNames: string[] };
    return result.appliedMigrationNames;
  });
}

/** True when Prisma's diff says there is nothing to migrate. */
export function isEmptyMigration(script: string): boolean {
  return script.trim() === '' || script.trim() === '-- This is an empty migration.';
}
