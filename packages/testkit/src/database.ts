import { randomBytes } from 'node:crypto';
import { createDatabaseFromTemplate, createPrisma, dropDatabase, type PrismaClient } from '@hub/db';

export const defaultDatabaseUrl = 'postgresql://postgres@127.0.0.1:5432/notification_hub';

export function databaseUrlFor(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The maintenance database on the same server, for CREATE / DROP DATABASE. */
export function adminUrl(baseUrl: string): string {
  return databaseUrlFor(baseUrl, 'postgres');
}

/** A fresh, migrated database for one test file, cloned from the suite's template. */
export async function createTestDatabase(baseUrl: string, template: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `hub_t_${randomBytes(5).toString('hex')}`;
  await createDatabaseFromTemplate(adminUrl(baseUrl), name, template);
  return { url: databaseUrlFor(baseUrl, name), name, drop: () => dropDatabase(adminUrl(baseUrl), name) };
}

/** A fresh test database (see createTestDatabase) with a Prisma client on it; close() disconnects and drops it. */
export async function createTestPrisma(baseUrl: string, template: string, poolMax = 4): Promise<{ prisma: PrismaClient; url: string; close(): Promise<void> }> {
  const db = await createTestDatabase(baseUrl, template);
  const prisma = createPrisma(db.url, { poolMax });
  return {
    prisma,
    url: db.url,
    close: async () => {
      await prisma.$disconnect();
      await db.drop();
    },
  };
}
