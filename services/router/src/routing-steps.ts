import type { Bus } from '@hub/bus';
import { deliveryRequestSchema, deliveryTopic, HEADERS, type Clock, type RoutingStep } from '@hub/contracts';
import type { PrismaClient } from '@hub/db';
import type { Logger } from '@hub/logger';
import { failpoint } from '@hub/runtime';
import { Counter, type Registry } from 'prom-client';
import { channelAvailability, type ChannelAddresses } from './availability.ts';
import { escalationSteps, planChain, type PlannedStep, type RoutingPolicy } from './routing-policy.ts';

/**
 * Fallback and escalation (docs/inbox.md). At routing time a recipient with a policy gets
 * one channel at a time (routing_chains records the order); when that delivery later fails
 * permanently or its adapter finds the channel unusable, a trigger on notification_deliveries
 * writes a scheduler job in the same transaction (the outbox), which comes back here on
 * notify.routing.v1 and creates the next channel's delivery. Escalation steps are scheduler
 * jobs written at routing time, cancelled when the in-app item is read (the inbox API
 * cancels them in the statement that marks it read; a step already claimed checks read_at
 * here). A delivery row is unique per (event, user, channel), so a replayed step — a crash
 * of the scheduler or the router after publishing — never creates a second delivery, and
 * only a still-pending delivery is (re)published (adapters are idempotent on delivery id).
 */

export interface RoutingMetrics {
  fallbacks: Counter<'from' | 'to' | 'reason'>;
  escalations: Counter<'channel' | 'outcome'>;
}

export function createRoutingMetrics(registry: Registry): RoutingMetrics {
  return {
    fallbacks: new Counter({ name: 'hub_routing_fallbacks_total', help: 'Fallbacks to the next channel of a routing policy, by channel left, channel used (none: chain exhausted) and reason', labelNames: ['from', 'to', 'reason'] as const, registers: [registry] }),
    escalations: new Counter({ name: 'hub_routing_escalations_total', help: 'Escalation steps handled, by channel and outcome (sent, cancelled, unavailable, duplicate)', labelNames: ['channel', 'outcome'] as const, registers: [registry] }),
  };
}

export interface RoutingContext {
  metrics: RoutingMetrics;
  /** Full name of notify.routing.v1 (with the deployment's prefix): where the jobs go. */
  topic: string;
}

export interface ChainedRecipient {
  eventId: string;
  userId: string;
  urgent: boolean;
  chain: string[];
  planned: PlannedStep[];
  policy: RoutingPolicy;
}

/**
 * Records the chain, the timeline of the first routing (each unusable channel and why, the
 * one used) and the escalation jobs, for recipients routed with a policy. Runs after their
 * delivery rows are written and before anything is published, so a delivery can never fail
 * before its chain exists. Replays change nothing (the chain row decides whether the
 * timeline is written; jobs have dedupe keys).
 */
export async function recordChains(prisma: PrismaClient, clock: Clock, ctx: RoutingContext, chained: readonly ChainedRecipient[]): Promise<void> {
  const now = clock.now();
  for (const r of chained) {
    const steps = timelineOf(r.planned);
    const inserted = await prisma.$queryRaw<{ n: number }[]>`
      WITH c AS (
        INSERT INTO routing_chains (event_id, user_id, channels, topic) VALUES (${r.eventId}, ${r.userId}::uuid, ${r.chain}::text[], ${ctx.topic})
        ON CONFLICT DO NOTHING RETURNING event_id, user_id
      ), s AS (
        INSERT INTO routing_steps (event_id, user_id, kind, channel, from_channel, delivery_id, reason)
        SELECT c.event_id, c.user_id, t.kind, t.channel, t.from_channel, d.id, t.reason
          FROM c CROSS JOIN unnest(${steps.map((s) => s.kind)}::text[], ${steps.map((s) => s.channel)}::text[], ${steps.map((s) => s.from)}::text[], ${steps.map((s) => s.reason)}::text[])
               WITH ORDINALITY AS t(kind, channel, from_channel, reason, n)
          LEFT JOIN notification_deliveries d ON d.event_id = c.event_id AND d.user_id = c.user_id AND d.channel = t.channel
         ORDER BY t.n
      )
      SELECT count(*)::int AS n FROM c`;
    if ((inserted[0]?.n ?? 0) > 0) countFallbacks(ctx.metrics, r.planned);
    const primary = r.planned.find((p) => p.available);
    const escalations = primary?.channel === 'inapp' ? escalationSteps(r.policy, r.urgent) : [];
    if (escalations.length === 0) continue;
    const rows = await prisma.$queryRaw<{ id: string }[]>`
      INSERT INTO scheduled_jobs (kind, due_at, topic, key, payload, headers, ref_id, dedupe_key)
      SELECT 'routing_escalation', t.due, ${ctx.topic}, ${r.userId},
             jsonb_build_object('kind', 'escalation', 'eventId', d.event_id, 'userId', d.user_id::text, 'deliveryId', d.id::text,
                                'step', t.idx, 'channel', t.channel, 'requestedAt', ${now.toISOString()}::text),
             jsonb_build_object(${HEADERS.eventId}::text, d.event_id, ${HEADERS.correlationId}::text, d.event_id),
             d.id::text, 'escalation:' || d.id::text || ':' || t.idx
        FROM notification_deliveries d
       CROSS JOIN unnest(${escalations.map((e) => new Date(now.getTime() + e.step.afterMs))}::timestamptz[], ${escalations.map((e) => e.step.channel)}::text[], ${escalations.map((e) => e.index)}::int[]) AS t(due, channel, idx)
       WHERE d.event_id = ${r.eventId} AND d.user_id = ${r.userId}::uuid AND d.channel = 'inapp'
      ON CONFLICT (dedupe_key) DO NOTHING
      RETURNING id::text`;
    if (rows.length > 0) {
      await prisma.$executeRaw`
        INSERT INTO routing_steps (event_id, user_id, kind, channel, from_channel, reason)
        SELECT ${r.eventId}, ${r.userId}::uuid, 'escalation_scheduled', t.channel, 'inapp', 'if the in-app item is still unread after ' || t.s || ' s'
          FROM unnest(${escalations.map((e) => e.step.channel)}::text[], ${escalations.map((e) => String(Math.round(e.step.afterMs / 1000)))}::text[]) AS t(channel, s)`;
    }
  }
}

interface TimelineStep { kind: string; channel: string | null; from: string | null; reason: string | null }

function timelineOf(planned: readonly PlannedStep[]): TimelineStep[] {
  const steps: TimelineStep[] = [];
  let previous: PlannedStep | null = null;
  for (const p of planned) {
    if (!p.available) steps.push({ kind: 'unavailable', channel: p.channel, from: null, reason: p.reason });
    else steps.push({ kind: previous ? 'fallback' : 'routed', channel: p.channel, from: previous?.channel ?? null, reason: previous ? `${previous.channel}: ${previous.reason}` : 'first channel of the policy' });
    previous = p;
  }
  if (planned.length > 0 && !planned[planned.length - 1]!.available) steps.push({ kind: 'exhausted', channel: null, from: previous!.channel, reason: 'no channel of the policy is usable' });
  return steps;
}

function countFallbacks(metrics: RoutingMetrics, planned: readonly PlannedStep[]): void {
  for (let i = 0; i < planned.length; i++) {
    const p = planned[i]!;
    if (p.available) break;
    metrics.fallbacks.inc({ from: p.channel, to: planned[i + 1]?.channel ?? 'none', reason: p.reason ?? 'unknown' });
  }
}

export interface RoutingStepDeps {
  bus: Bus;
  prisma: PrismaClient;
  log: Logger;
  clock: Clock;
  channels: readonly string[];
  metrics: RoutingMetrics;
}

interface Context { event_type: string; priority: string; addresses: ChannelAddresses | null; channels: string[] | null; read_at: Date | null }

async function loadContext(prisma: PrismaClient, step: RoutingStep): Promise<Context | null> {
  const rows = await prisma.$queryRaw<Context[]>`
    SELECT e.event_type, e.priority::text,
           (SELECT jsonb_object_agg(a.channel, jsonb_build_object('address', a.address, 'verified', a.verified, 'opted_out', a.opted_out, 'undeliverable', a.undeliverable))
              FROM user_channel_addresses a WHERE a.user_id = ${step.userId}::uuid) AS addresses,
           (SELECT c.channels FROM routing_chains c WHERE c.event_id = e.id AND c.user_id = ${step.userId}::uuid) AS channels,
           (SELECT d.read_at FROM notification_deliveries d WHERE d.id = ${step.deliveryId ?? null}::uuid) AS read_at
      FROM notification_events e WHERE e.id = ${step.eventId}`;
  return rows[0] ?? null;
}

/** One step from notify.routing.v1; returns what happened (logged and counted). */
export async function handleRoutingStep(deps: RoutingStepDeps, step: RoutingStep): Promise<string> {
  const ctx = await loadContext(deps.prisma, step);
  if (!ctx) return 'unknown_event';
  return step.kind === 'fallback' ? fallback(deps, step, ctx) : escalate(deps, step, ctx);
}

async function fallback(deps: RoutingStepDeps, step: RoutingStep, ctx: Context): Promise<string> {
  const chain = ctx.channels;
  const from = step.fromChannel ?? '';
  const at = chain ? chain.indexOf(from) : -1;
  if (!chain || at < 0) return 'no_chain';
  const planned = planChain(chain.slice(at + 1), (c) => {
    const a = channelAvailability(c, deps.channels, ctx.addresses);
    return a.available ? { available: true, reason: null } : { available: false, reason: a.reason };
  });
  const reason = step.reason ?? 'failed';
  const next = planned.find((p) => p.available) ?? null;
  const rows = await insertDeliveries(deps.prisma, step, planned, ctx);
  const createdNext = next ? rows.some((r) => r.channel === next.channel) : false;
  // Rows are created once (unique per event, user, channel): the timeline and the metric follow them.
  const steps: TimelineStep[] = planned.filter((p) => rows.some((r) => r.channel === p.channel)).map((p) => (p.available
    ? { kind: 'fallback', channel: p.channel, from, reason: `${from}: ${reason}` }
    : { kind: 'unavailable', channel: p.channel, from, reason: p.reason }));
  if (!next) steps.push({ kind: 'exhausted', channel: null, from, reason: `${from}: ${reason}; no further channel is usable` });
  const fresh = rows.length > 0 ? await insertSteps(deps.prisma, step, steps, false) : !next ? await insertSteps(deps.prisma, step, steps, true) : 0;
  if (fresh > 0) deps.metrics.fallbacks.inc({ from, to: next?.channel ?? 'none', reason });
  if (next) await publishPending(deps, step, next.channel, ctx);
  deps.log.info({ eventId: step.eventId, userId: step.userId, from, to: next?.channel ?? null, reason, created: createdNext }, 'fallback to the next channel');
  return next ? (createdNext ? 'fallback' : 'fallback_duplicate') : 'exhausted';
}

async function escalate(deps: RoutingStepDeps, step: RoutingStep, ctx: Context): Promise<string> {
  const channel = step.channel ?? '';
  if (ctx.read_at) {
    const n = await insertSteps(deps.prisma, step, [{ kind: 'escalation_cancelled', channel, from: 'inapp', reason: 'the in-app item was read' }], true);
    if (n > 0) deps.metrics.escalations.inc({ channel, outcome: 'cancelled' });
    return 'cancelled';
  }
  const a = channelAvailability(channel, deps.channels, ctx.addresses);
  const planned: PlannedStep[] = [{ channel, available: a.available, reason: a.available ? null : a.reason }];
  const rows = await insertDeliveries(deps.prisma, step, planned, ctx);
  if (rows.length === 0) {
    deps.metrics.escalations.inc({ channel, outcome: 'duplicate' });
    if (a.available) await publishPending(deps, step, channel, ctx);
    return 'duplicate';
  }
  const after = step.requestedAt;
  await insertSteps(deps.prisma, step, [a.available
    ? { kind: 'escalated', channel, from: 'inapp', reason: `the in-app item was still unread (step ${step.step ?? 0}, scheduled ${after})` }
    : { kind: 'escalation_unavailable', channel, from: 'inapp', reason: a.reason }], false);
  deps.metrics.escalations.inc({ channel, outcome: a.available ? 'sent' : 'unavailable' });
  failpoint('router.after_escalation');
  if (a.available) await publishPending(deps, step, channel, ctx);
  deps.log.info({ eventId: step.eventId, userId: step.userId, channel, available: a.available }, 'escalation step');
  return a.available ? 'escalated' : 'unavailable';
}

async function insertDeliveries(prisma: PrismaClient, step: RoutingStep, planned: readonly PlannedStep[], ctx: Context): Promise<{ id: string; channel: string }[]> {
  if (planned.length === 0) return [];
  return prisma.$queryRaw<{ id: string; channel: string }[]>`
    INSERT INTO notification_deliveries (event_id, user_id, channel, channel_identifier, status, skip_reason)
    SELECT ${step.eventId}, ${step.userId}::uuid, t.channel, t.identifier, t.status::delivery_status, t.reason
      FROM unnest(${planned.map((p) => p.channel)}::text[], ${planned.map((p) => ctx.addresses?.[p.channel]?.address ?? null)}::text[],
                  ${planned.map((p) => (p.available ? 'pending' : 'skipped'))}::text[], ${planned.map((p) => p.reason)}::text[]) AS t(channel, identifier, status, reason)
    ON CONFLICT (event_id, user_id, channel) DO NOTHING
    RETURNING id::text, channel`;
}

/** Timeline rows; `once`: only if the same kind for the same channel is not there yet (replays). */
async function insertSteps(prisma: PrismaClient, step: RoutingStep, steps: readonly TimelineStep[], once: boolean): Promise<number> {
  if (steps.length === 0) return 0;
  return prisma.$executeRaw`
    INSERT INTO routing_steps (event_id, user_id, kind, channel, from_channel, delivery_id, reason)
    SELECT ${step.eventId}, ${step.userId}::uuid, t.kind, t.channel, t.from_channel, d.id, t.reason
      FROM unnest(${steps.map((s) => s.kind)}::text[], ${steps.map((s) => s.channel)}::text[], ${steps.map((s) => s.from)}::text[], ${steps.map((s) => s.reason)}::text[])
           WITH ORDINALITY AS t(kind, channel, from_channel, reason, n)
      LEFT JOIN notification_deliveries d ON d.event_id = ${step.eventId} AND d.user_id = ${step.userId}::uuid AND d.channel = t.channel
     WHERE NOT ${once}::boolean OR NOT EXISTS (
       SELECT 1 FROM routing_steps r WHERE r.event_id = ${step.eventId} AND r.user_id = ${step.userId}::uuid AND r.kind = t.kind AND r.channel IS NOT DISTINCT FROM t.channel AND r.from_channel IS NOT DISTINCT FROM t.from_channel)
     ORDER BY t.n`;
}

/** Publishes the channel's delivery if it is still pending (created now, or by a run that crashed before publishing). */
async function publishPending(deps: RoutingStepDeps, step: RoutingStep, channel: string, ctx: Context): Promise<void> {
  const rows = await deps.prisma.$queryRaw<{ id: string }[]>`
    SELECT id::text FROM notification_deliveries WHERE event_id = ${step.eventId} AND user_id = ${step.userId}::uuid AND channel = ${channel} AND status = 'pending'`;
  const row = rows[0];
  if (!row) return;
  await deps.bus.publish(deliveryTopic(channel), deliveryRequestSchema, [{
    key: step.userId,
    value: {
      deliveryId: row.id, eventId: step.eventId, userId: step.userId, channel, eventType: ctx.event_type,
      priority: ctx.priority as 'low' | 'normal' | 'high' | 'urgent', reason: 'new' as const, requestedAt: deps.clock.now().toISOString(),
    },
    headers: { [HEADERS.correlationId]: step.eventId, [HEADERS.eventId]: step.eventId, [HEADERS.deliveryId]: row.id },
  }]);
}
