import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.ts';

export interface PrismaOptions {
  /** PostgreSQL schema holding the tables (default: the connection's search_path, i.e. public). */
  schema?: string;
  /** Size of the node-postgres pool behind the client (default 10). */
  poolMax?: number;
}

/** A Prisma client on node-postgres through @prisma/adapter-pg (no query-engine binary). */
export function createPrisma(databaseUrl: string, options: PrismaOptions = {}): PrismaClient {
  const { schema, poolMax = 10 } = options;
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) throw new Error(`unsupported schema name ${schema}`);
  const adapter = new PrismaPg(
    {
      connectionString: databaseUrl,
      max: poolMax,
      connectionTimeoutMillis: 5_000,
      // Raw SQL ($queryRaw) names tables unqualified: resolve them in the same schema.
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    },
    // The adapter qualifies the tables of the queries the client generates.
    schema ? { schema } : undefined,
  );
  // Under load a transaction may wait for a pooled connection: wait longer than Prisma's 2 s default.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 15_000 } });
}
