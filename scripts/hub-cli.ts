/**
 * Operator commands: `npm run hub -- <command>`.
 *   keys create --scopes events:write,admin:read [--name NAME]   prints the key once
 *   keys list                                                     prefixes, scopes, state
 *   keys revoke <id-or-prefix>
 *   seed-demo                                                     the demo user of the README
 */
import { parseArgs } from 'node:util';
import { createPrisma } from '@hub/db';
import { createApiKey, SCOPES, type Scope } from '@hub/gateway';
import { seedDemo } from './dev-seed.ts';

const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/notification_hub';

function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { scopes: { type: 'string' }, name: { type: 'string' } },
});
const [group, command, arg] = positionals;
const prisma = createPrisma(databaseUrl, { poolMax: 1 });
try {
  if (group === 'keys' && command === 'create') {
    const scopes = (values.scopes ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (scopes.length === 0) fail(`--scopes is required (any of ${SCOPES.join(', ')})`);
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0) fail(`unknown scope(s) ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`);
    const key = await createApiKey(prisma, values.name ?? 'cli', scopes as Scope[]);
    console.log(`id      ${key.id}\nscopes  ${key.scopes.join(',')}\nkey     ${key.key}\n\nStore the key now: only its hash is kept.`);
  } else if (group === 'keys' && command === 'list') {
    const keys = await prisma.apiKey.findMany({ orderBy: { createdAt: 'asc' } });
    for (const k of keys) {
      console.log([k.id, `hub_${k.prefix}_…`, k.name, k.scopes.join(','), k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'].join('  '));
    }
  } else if (group === 'keys' && command === 'revoke') {
    if (!arg) fail('keys revoke <id-or-prefix>');
    const isUuid = /^[0-9a-f-]{36}$/.test(arg);
    const updated = await prisma.apiKey.updateMany({ where: isUuid ? { id: arg } : { prefix: arg.replace(/^hub_/, '').split('_')[0] }, data: { revokedAt: new Date() } });
    if (updated.count === 0) fail(`no key ${arg}`);
    console.log(`revoked ${arg}`);
  } else if (group === 'seed-demo') {
    await seedDemo(prisma);
    console.log('demo user seeded');
  } else {
    fail('usage: hub keys create --scopes <list> [--name N] | keys list | keys revoke <id> | seed-demo');
  }
} finally {
  await prisma.$disconnect();
}
