import path from 'node:path';
import pg from 'pg';
import { dropDatabase } from '../src/index.ts';

export const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const migrationsDir = path.join(repoRoot, 'prisma/migrations');
export const schemaPath = path.join(repoRoot, 'prisma/schema.prisma');
export const baseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/notification_hub';

export function urlFor(database: string): string {
  const u = new URL(baseUrl);
  u.pathname = `/${database}`;
  return u.toString();
}
export const adminUrl = urlFor('postgres');

/** Unique database names for one test file; drop() removes every one handed out. */
export function scratchDatabases(prefix: string) {
  const created: string[] = [];
  return {
    name(): string {
      const name = `${prefix}_${process.pid}_${Math.random().toString(16).slice(2, 10)}`;
      created.push(name);
      return name;
    },
    async drop(): Promise<void> {
      for (const name of created.splice(0)) await dropDatabase(adminUrl, name).catch(() => undefined);
    },
  };
}

export async function query<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}
