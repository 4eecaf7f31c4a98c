import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.ts';

export interface PrismaOptions {
  poolMax?: number;
}

/** A Prisma client on node-postgres (no query-engine binary). */
export function createPrisma(databaseUrl: string, options: PrismaOptions = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.poolMax ?? 10, connectionTimeoutMillis: 5_000 });
  return new PrismaClient({ adapter });
}
