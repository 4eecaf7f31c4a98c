import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConsumerLagReader, describeError, type Bus, type GroupLag } from '@hub/bus';
import type { PrismaClient } from '@hub/db';
import type { Logger } from '@hub/logger';
import { deliveryTopic, TOPICS, type Clock } from '@hub/contracts';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { authErrors, errorSchema } from './schemas.ts';

/**
 * GET /v1/metrics/consumer-lag: per service, each consumer group's committed offsets against
 * its topic's latest offsets, read by the gateway's Kafka admin client (@hub/bus
 * ConsumerLagReader). Cached for `ttlMs` (default 5 s) and read once however many callers
 * ask meanwhile, so a console left open costs the brokers one round of offset requests per
 * TTL at most.
 */

/** The hub's consumer groups (each service's `groupId` and topic; docs/console.md). */
export const HUB_CONSUMER_GROUPS = [
  { service: 'router', groupId: 'router', topic: TOPICS.events },
  { service: 'router', groupId: 'router.routing', topic: TOPICS.routing },
  { service: 'sms-adapter', groupId: 'sms-adapter', topic: deliveryTopic('sms') },
  { service: 'email-adapter', groupId: 'email-adapter', topic: deliveryTopic('email') },
  { service: 'email-adapter', groupId: 'email-adapter.status', topic: TOPICS.emailStatus },
  { service: 'inapp-adapter', groupId: 'inapp-adapter', topic: deliveryTopic('inapp') },
  { service: 'status-ingest', groupId: 'status-ingest.status', topic: TOPICS.smsStatus },
  { service: 'status-ingest', groupId: 'status-ingest.inbound', topic: TOPICS.smsInbound },
  { service: 'scheduler', groupId: 'scheduler', topic: TOPICS.schedule },
] as const;

const partitionSchema = z.object({ partition: z.number().int(), committed: z.number().int().nullable(), latest: z.number().int(), lag: z.number().int() });
const groupSchema = z.object({
  groupId: z.string(), topic: z.string(), lag: z.number().int(),
  state: z.string().nullable().describe('the group state the broker reports (Stable, Empty: no consumer running, PreparingRebalance…)'),
  members: z.number().int().nullable().describe('consumers in the group now'),
  partitions: z.array(partitionSchema),
});
const lagSchema = z.object({
  checkedAt: z.string().describe('when the offsets were read (answers are cached a few seconds)'),
  services: z.array(z.object({ service: z.string(), lag: z.number().int().describe('sum over its groups'), groups: z.array(groupSchema) })),
});
type LagView = z.infer<typeof lagSchema>;

export interface ConsumerLagDeps { prisma: PrismaClient; bus: Bus; clock: Clock; log: Logger; ttlMs?: number }

export function registerConsumerLagRoute(app: FastifyInstance, deps: ConsumerLagDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const reader = new ConsumerLagReader(deps.bus);
  app.addHook('onClose', async () => reader.close());
  const ttl = deps.ttlMs ?? 5_000;
  let cached: { at: number; view: Promise<LagView> } | null = null;

  const load = async (): Promise<LagView> => {
    const groups: GroupLag[] = await reader.read(HUB_CONSUMER_GROUPS);
    const services = [...new Set(HUB_CONSUMER_GROUPS.map((g) => g.service))].map((service) => {
      const own = groups.filter((_, i) => HUB_CONSUMER_GROUPS[i]!.service === service);
      return { service, lag: own.reduce((n, g) => n + g.lag, 0), groups: own };
    });
    return { checkedAt: deps.clock.now().toISOString(), services };
  };

  r.get('/v1/metrics/consumer-lag', {
    onRequest: requireScope(deps.prisma, 'admin:read'),
    schema: {
      tags: ['metrics'],
      summary: 'Consumer lag per service: committed offsets of each consumer group against the latest offsets of its topic',
      description: `Read from the brokers by the gateway (not by the consumers), so a group that stopped consuming shows its growing lag. Cached ${ttl / 1000} s.`,
      response: { 200: lagSchema, 503: errorSchema, ...authErrors },
    },
  }, async (_request, reply) => {
    const now = Date.now();
    if (!cached || now - cached.at >= ttl) {
      const view = load();
      cached = { at: now, view };
      // A failure is not cached: the next request asks the brokers again.
      view.catch(() => { if (cached?.view === view) cached = null; });
    }
    try {
      return await cached.view;
    } catch (err) {
      deps.log.warn({ err: describeError(err) }, 'consumer lag could not be read from Kafka');
      return sendError(reply, 503, 'kafka_unavailable', 'the consumer offsets could not be read from Kafka');
    }
  });
}
