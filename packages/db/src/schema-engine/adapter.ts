import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

// Two problems in @prisma/adapter-pg 7.10.1 when the schema engine (rather than the client)
// uses it, worked around here:
// - it cannot map PostgreSQL's internal "char" type (OID 18, e.g. pg_class.relkind), so every
//   introspection query of the schema engine fails ("Column type 'char' could not be
//   deserialized"). CharAsTextClient reports such columns as text.
// - its connectToShadowDb() spreads `{ ...config, database }`, but node-postgres lets a
//   connectionString override `database`: the "shadow" migrations run against the main
//   database. It also drops the shadow database before closing its pool. shadowFactory()
//   below creates, uses and drops a real separate database.
// - its executeScript() splits a migration on every ";", which breaks any dollar-quoted body
//   (a plpgsql function or trigger). wholeScripts() sends the script in one simple-protocol
//   query instead, as `prisma migrate deploy`'s native engine does.
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

type QueryFn = (...args: unknown[]) => unknown;
interface FieldsResult { fields?: { dataTypeID: number }[] }

function charAsText<T>(result: T): T {
  for (const r of (Array.isArray(result) ? result : [result]) as FieldsResult[]) {
    for (const f of r?.fields ?? []) if (f.dataTypeID === PG_CHAR_OID) f.dataTypeID = PG_TEXT_OID;
  }
  return result;
}

export class CharAsTextClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const self = this as unknown as { query: QueryFn };
    const original = self.query.bind(this);
    self.query = (...args: unknown[]) => {
      const i = args.findIndex((a) => typeof a === 'function');
      if (i >= 0) {
        const cb = args[i] as (err: unknown, res: unknown) => void;
        args[i] = (err: unknown, res: unknown) => cb(err, err ? res : charAsText(res));
      }
      const out = original(...args);
      return out instanceof Promise ? out.then(charAsText) : out;
    };
  }
}

export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

type Adapter = Awaited<ReturnType<PrismaPg['connect']>>;

function wholeScripts(adapter: Adapter): Adapter {
  const pool = adapter.underlyingDriver() as pg.Pool;
  const mapError = (adapter as unknown as { onError(err: unknown): never }).onError.bind(adapter);
  adapter.executeScript = async (script: string) => {
    try {
      await pool.query(script);
    } catch (err) {
      mapError(err);
    }
  };
  return adapter;
}

/** A migration-aware adapter factory for the schema engine (see the notes above). */
export function schemaEngineAdapterFactory(url: string) {
  const poolConfig = (connectionString: string): pg.PoolConfig => ({ connectionString, max: 2, Client: CharAsTextClient });
  const main = new PrismaPg(poolConfig(url));
  const opened: Adapter[] = [];
  return {
    provider: 'postgres' as const,
    adapterName: main.adapterName,
    async connect(): Promise<Adapter> {
      const adapter = wholeScripts(await main.connect());
      opened.push(adapter);
      return adapter;
    },
    /** Closes the pools the engine may still hold (it does not always dispose them). */
    async close(): Promise<void> {
      await Promise.allSettled(opened.splice(0).map((a) => a.dispose()));
    },
    async connectToShadowDb(): Promise<Adapter> {
      const name = `prisma_migrate_shadow_db_${randomUUID()}`;
      await adminQuery(url, `CREATE DATABASE "${name}"`);
      const adapter = wholeScripts(await new PrismaPg(poolConfig(databaseUrl(url, name))).connect());
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await adminQuery(url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      };
      return adapter;
    },
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
