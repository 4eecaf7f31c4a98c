/**
 * Operator commands: `npm run hub -- <command>`.
 *   keys create --scopes events:write,admin:read [--name NAME]   prints the key once
 *   keys list                                                     prefixes, scopes, state
 *   keys revoke <id-or-prefix>                                    an already revoked key is left as it is
 *   seed-demo                                                     the demo user of the README
 *   dlq list <topic> [--limit N]                                  dead letters not yet replayed
 *   dlq show <topic> --offset <partition>/<offset>                one dead letter, replayed or not
 *   dlq replay <topic> --all | --limit N | --offset <p>/<o>        publishes them back to <topic>
 *   retention sweep                                               deletes now what is older than its window (RETENTION_* as the scheduler reads them)
 * <topic> is a hub topic name (notify.events.v1) or its key in TOPICS (events, smsDeliveries…).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Bus, listDeadLetters, replayDeadLetters, type DeadLetter } from '@hub/bus';
import { baseEnv, loadConfig } from '@hub/config';
import { TOPICS, type TopicName } from '@hub/contracts';
import { createPrisma, type PrismaClient } from '@hub/db';
import { createLogger } from '@hub/logger';
import { z } from 'zod';
import { createApiKey, SCOPES, type Scope } from '@hub/gateway';
import { loadSchedulerConfig, retentionPolicyOf, sweepRetention } from '@hub/scheduler';
import { seedDemo } from './dev-seed.ts';

export interface CliDeps {
  prisma: PrismaClient;
  /** Where normal output goes (stdout in the process). */
  print: (line: string) => void;
  /** The hub's Kafka (dlq commands only); made on first use. */
  bus?: () => Bus;
  /** Settings (retention windows); default process.env. */
  env?: Record<string, string | undefined>;
}

/** A usage or input error: printed as `error: …`, exit status 2. */
export class CliError extends Error {}

const USAGE = 'usage: hub keys create --scopes <list> [--name N] | keys list | keys revoke <id-or-prefix> | seed-demo | dlq list <topic> [--limit N] | dlq show <topic> --offset P/O | dlq replay <topic> --all|--limit N|--offset P/O | retention sweep';

/** A hub topic by name or by its TOPICS key. */
export function hubTopic(arg: string | undefined): TopicName {
  const names = Object.values(TOPICS) as string[];
  if (arg && names.includes(arg)) return arg as TopicName;
  if (arg && arg in TOPICS) return TOPICS[arg as keyof typeof TOPICS];
  throw new CliError(`dlq needs a hub topic: one of ${names.join(', ')} (or ${Object.keys(TOPICS).join(', ')})`);
}

function describeLetter(l: DeadLetter): string {
  const cut = l.truncated ? `truncated (${l.originalBytes ?? '?'} bytes, sha256 ${l.sha256 ?? '?'}; whole value at ${l.origin ?? '?'})` : '';
  return [`${l.partition}/${l.offset}`, l.failedAt ?? '-', l.reason ?? '-', `key=${l.key ?? ''}`, `from=${l.origin ?? '-'}`, l.error ?? '', cut, l.value].filter(Boolean).join('  ');
}

/** "<partition>/<offset>" as given to --offset. */
function dlqPosition(arg: string | undefined): { partition: number; offset: string } | undefined {
  if (arg === undefined) return undefined;
  const m = /^(\d{1,6})\/(\d{1,19})$/.exec(arg);
  if (!m) throw new CliError('--offset must be <partition>/<offset>, as `dlq list` prints it (e.g. 0/42)');
  return { partition: Number(m[1]), offset: m[2]! };
}

/** Runs one command; what the process does, minus the process (tests call it too). */
export async function runCli(argv: string[], deps: CliDeps): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { scopes: { type: 'string' }, name: { type: 'string' }, limit: { type: 'string' }, offset: { type: 'string' }, all: { type: 'boolean' } },
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
  } else if (group === 'dlq' && (command === 'list' || command === 'show' || command === 'replay')) {
    const topic = hubTopic(arg);
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new CliError('--limit must be a positive integer');
    const at = dlqPosition(values.offset);
    if (command === 'show' && !at) throw new CliError('dlq show needs --offset <partition>/<offset>');
    if (command === 'replay' && !at && limit === undefined && !values.all) throw new CliError('dlq replay needs --all, --limit N or --offset <partition>/<offset>');
    if (!deps.bus) throw new CliError('dlq commands need Kafka (KAFKA_BROKERS)');
    const bus = deps.bus();
    const options = { topic, ...(limit === undefined ? {} : { limit }), ...(at ? { at } : {}), onMessage: (l: DeadLetter) => print(describeLetter(l)) };
    const run = command === 'replay' ? await replayDeadLetters(bus, options) : await listDeadLetters(bus, options);
    if (command === 'show') return;
    const verb = command === 'list' ? 'listed' : `replayed to ${topic}`;
    const skipped = run.skipped > 0 ? ` (${run.skipped} truncated copies not replayed: republish them from their source offset)` : '';
    print(`${run.handled - run.skipped} ${verb}${skipped}; ${run.remaining} ${command === 'list' ? 'more ' : ''}waiting in ${topic}.dlq`);
  } else if (group === 'retention' && command === 'sweep') {
    const config = loadSchedulerConfig(deps.env ?? process.env);
    const policy = retentionPolicyOf(config);
    const t0 = Date.now();
    const deleted = await sweepRetention(prisma, policy, new Date(), { batchSize: config.RETENTION_BATCH_SIZE, pauseMs: config.RETENTION_BATCH_PAUSE_MS });
    for (const [table, n] of Object.entries(deleted)) print(`${table.padEnd(24)} ${n}`);
    print(`swept in ${Date.now() - t0} ms (windows in days, 0 = kept: ${JSON.stringify(policy)})`);
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
  let bus: Bus | undefined;
  const makeBus = () => {
    const env = loadConfig(z.object({ KAFKA_BROKERS: baseEnv.KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: baseEnv.KAFKA_TOPIC_PREFIX }));
    bus ??= new Bus({ clientId: 'hub-cli', brokers: env.KAFKA_BROKERS, topicPrefix: env.KAFKA_TOPIC_PREFIX, logger: createLogger({ service: 'hub-cli', level: 'warn' }) });
    return bus;
  };
  try {
    await runCli(process.argv.slice(2), { prisma, print: (line) => console.log(line), bus: makeBus });
  } catch (err) {
    const usageError = err instanceof CliError || (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'));
    if (!usageError) throw err;
    console.error(`error: ${(err as Error).message}`);
    process.exitCode = 2;
  } finally {
    await bus?.close();
    await prisma.$disconnect();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
