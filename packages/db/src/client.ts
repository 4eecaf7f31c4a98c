import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.ts';

export interface PrismaOptions {
  poolMax?: number;
}

/** A Prisma client on node-postgres (no query-engine binary). */
export function createPrisma(databaseUrl: string, options: PrismaOptions = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.poolMax ?? 10, connectionTimeoutMillis: 5_000 });
  // Under load a transaction may wait for a pooled connection: wait longer than Prisma's 2 s default.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 15_000 } });
}
