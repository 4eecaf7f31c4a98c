import pg from 'pg';

const ident = (name: string) => {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsafe database name ${name}`);
  return `"${name}"`;
};

async function withAdmin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined); // a dropped connection fails the pending query instead
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * CREATE DATABASE name TEMPLATE template: a migrated copy in milliseconds (tests). PostgreSQL
 * refuses while another session is connected to the template (55006); that is retried for a
 * few seconds, since such a session is usually one that is just closing.
 */
export function createDatabaseFromTemplate(adminUrl: string, name: string, template: string): Promise<void> {
  return withAdmin(adminUrl, async (c) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await c.query(`CREATE DATABASE ${ident(name)} TEMPLATE ${ident(template)}`);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== '55006' || attempt >= 25) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  });
}

/** DROP DATABASE IF EXISTS … WITH (FORCE): closes the sessions still connected to it. */
export function dropDatabase(adminUrl: string, name: string): Promise<void> {
  return withAdmin(adminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
  });
}
