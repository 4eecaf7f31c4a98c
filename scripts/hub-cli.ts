/**
 * Operator commands: `npm run hub -- <command>`.
 *   keys create --scopes events:write,admin:read [--name NAME]   prints the key once
 *   keys list                                                     prefixes, scopes, state
 *   keys revoke <id-or-prefix>                                    an already revoked key is left as it is
 *   seed-demo                                                     the demo user of the README
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createPrisma, type PrismaClient } from '@hub/db';
import { createApiKey, SCOPES, type Scope } from '@hub/gateway';
import { seedDemo } from './dev-seed.ts';

export interface CliDeps {
  prisma: PrismaClient;
  /** Where normal output goes (stdout in the process). */
  print: (line: string) => void;
}

/** A usage or input error: printed as `error: …`, exit status 2. */
export class CliError extends Error {}

const USAGE = 'usage: hub keys create --scopes <list> [--name N] | keys list | keys revoke <id-or-prefix> | seed-demo';

/** Runs one command; what the process does, minus the process (tests call it too). */
export async function runCli(argv: string[], deps: CliDeps): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { scopes: { type: 'string' }, name: { type: 'string' } },
  });
  const [group, command, arg] = positionals;
  const { prisma, print } = deps;
  if (group === 'keys' && command === 'create') {
    const scopes = (values.scopes ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (scopes.length === 0) throw new CliError(`--scopes is required (any of ${SCOPES.join(', ')})`);
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0) throw new CliError(`unknown scope(s) ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`);
    const key = await createApiKey(prisma, values.name ?? 'cli', scopes as Scope[]);
    print(`id      ${key.id}\nscopes  ${key.scopes.join(',')}\nkey     ${key.key}\n\nStore the key now: only its hash is kept.`);
  } else if (group === 'keys' && command === 'list') {
    const keys = await prisma.apiKey.findMany({ orderBy: { createdAt: 'asc' } });
    for (const k of keys) {
      print([k.id, `hub_${k.prefix}_…`, k.name, k.scopes.join(','), k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'].join('  '));
    }
  } else if (group === 'keys' && command === 'revoke') {
    if (!arg) throw new CliError('keys revoke <id-or-prefix>');
    const where = /^[0-9a-f-]{36}$/.test(arg) ? { id: arg } : { prefix: arg.replace(/^hub_/, '').split('_')[0] };
    // Only a key still active: a second revoke keeps the first revocation time.
    const updated = await prisma.apiKey.updateMany({ where: { ...where, revokedAt: null }, data: { revokedAt: new Date() } });
    if (updated.count > 0) {
      print(`revoked ${arg}`);
      return;
    }
    const existing = await prisma.apiKey.findFirst({ where });
    if (!existing?.revokedAt) throw new CliError(`no key ${arg}`);
    print(`${arg} was already revoked at ${existing.revokedAt.toISOString()}; left unchanged`);
  } else if (group === 'seed-demo') {
    await seedDemo(prisma);
    print('demo user seeded');
  } else {
    throw new CliError(USAGE);
  }
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/notification_hub';
  const prisma = createPrisma(databaseUrl, { poolMax: 1 });
  try {
    await runCli(process.argv.slice(2), { prisma, print: (line) => console.log(line) });
  } catch (err) {
    const usageError = err instanceof CliError || (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'));
    if (!usageError) throw err;
    console.error(`error: ${(err as Error).message}`);
    process.exitCode = 2;
  } finally {
    await prisma.$disconnect();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
