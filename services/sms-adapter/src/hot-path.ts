import { randomUUID } from 'node:crypto';
import { classifyFailure } from '@hub/bus';
import { Batcher, type PrismaClient } from '@hub/db';
import type { DayBounds, SmsStatus } from '@hub/sms-rules';
import { loadDeliveries, type LoadedDelivery } from './load.ts';
import type { NewAttempt } from './transitions.ts';

/**
 * The statements every send runs, each shared by the deliveries in flight at the same time
 * (group commit, see Batcher): under load one statement serves dozens of deliveries, which
 * is most of the adapter's CPU (Prisma's client and pg's socket writes cost per statement,
 * not per row). Each caller still awaits its own row before going on, so the order of
 * effects — attempt recorded before the provider call, acceptance after it — is unchanged.
 */

export interface CountInDay {
  userId: string;
  day: DayBounds;
  /** A message not to count (the retried message itself). */
  excludeId?: string | undefined;
}

export interface Acceptance {
  messageId: string;
  deliveryId: string;
  sid: string;
  providerStatus: string;
  mapped: SmsStatus;
  now: Date;
  attempt: number;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** Statuses that count toward the daily cap (see held.ts for the same rule as a Prisma filter). */
export async function countSentInDays(prisma: PrismaClient, items: CountInDay[]): Promise<number[]> {
  const rows = await prisma.$queryRaw<{ ord: bigint | number; n: number }[]>`
    SELECT q.ord, count(m.id)::int AS n
      FROM unnest(${items.map((i) => i.userId)}::uuid[], ${items.map((i) => iso(i.day.start))}::timestamptz[],
                  ${items.map((i) => iso(i.day.end))}::timestamptz[], ${items.map((i) => i.excludeId ?? null)}::uuid[])
           WITH ORDINALITY AS q(user_id, day_start, day_end, exclude_id, ord)
      LEFT JOIN sms_messages m
        ON m.user_id = q.user_id
       AND (q.exclude_id IS NULL OR m.id <> q.exclude_id)
       AND ((m.scheduled_for IS NULL AND m.status IN ('sending', 'queued', 'sent', 'delivered')
             AND m.send_started_at >= q.day_start AND m.send_started_at < q.day_end)
         OR (m.scheduled_for >= q.day_start AND m.scheduled_for < q.day_end
             AND (m.status IN ('sending', 'queued', 'sent', 'delivered')
                  OR (m.status = 'scheduled' AND m.twilio_sid IS NOT NULL AND m.next_retry_at IS NULL))))
     GROUP BY q.ord
     ORDER BY q.ord`;
  return rows.map((r) => r.n);
}

/** Per phone number: whether the hub already sent it a message (the "first message" footer rule). */
export async function phonesSentBefore(prisma: PrismaClient, phones: string[]): Promise<boolean[]> {
  const rows = await prisma.$queryRaw<{ phone: string }[]>`
    SELECT p AS phone FROM unnest(${phones}::text[]) AS p
     WHERE EXISTS (SELECT 1 FROM sms_messages m WHERE m.phone_number = p AND m.status IN ('queued', 'sent', 'delivered', 'undelivered'))`;
  const sent = new Set(rows.map((r) => r.phone));
  return phones.map((p) => sent.has(p));
}

/**
 * First attempts of several deliveries in one statement: each message row in status
 * "sending", its delivery's attempt count, its tracked links, the audit event and the
 * template's usage — all or nothing. An entry is null when its delivery already has a
 * message (another instance created it first: one message per delivery, a unique index) or
 * is no longer waiting (cancelled, skipped… since it was loaded).
 */
export async function createFirstAttempts(prisma: PrismaClient, attempts: NewAttempt[]): Promise<({ id: string; attempt: number } | null)[]> {
  const ids = attempts.map(() => randomUUID());
  const links = attempts.flatMap((a) => a.links.map((l) => ({ deliveryId: a.deliveryId, ...l })));
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    WITH input AS (
      SELECT * FROM unnest(
        ${ids}::uuid[], ${attempts.map((a) => a.userId)}::uuid[], ${attempts.map((a) => a.phoneNumber)}::text[],
        ${attempts.map((a) => a.content)}::text[], ${attempts.map((a) => a.templateId)}::uuid[], ${attempts.map((a) => a.templateKey)}::text[],
        ${attempts.map((a) => (a.templateVars === null ? null : JSON.stringify(a.templateVars)))}::jsonb[],
        ${attempts.map((a) => a.priority)}::event_priority[], ${attempts.map((a) => a.segments)}::int[], ${attempts.map((a) => a.encoding)}::text[],
        ${attempts.map((a) => iso(a.scheduledFor))}::timestamptz[], ${attempts.map((a) => iso(a.now))}::timestamptz[],
        ${attempts.map((a) => a.maxAttempts)}::int[], ${attempts.map((a) => a.deliveryId)}::uuid[]
      ) AS t(id, user_id, phone_number, message_content, template_id, template_key, template_vars, priority, segments, encoding,
             scheduled_for, send_started_at, max_attempts, delivery_id)
    ), open AS (
      -- Only deliveries still waiting: the row lock orders this against a concurrent cancel
      -- (which re-checks the delivery's attempts), so a cancelled delivery is never sent.
      SELECT d.id FROM notification_deliveries d JOIN input i ON d.id = i.delivery_id
       WHERE d.status IN ('pending', 'deferred')
         FOR UPDATE OF d
    ), m AS (
      INSERT INTO sms_messages (id, user_id, phone_number, message_content, template_id, template_key, template_vars, status, priority,
                                segments, encoding, scheduled_for, send_started_at, attempt_count, max_attempts, notification_delivery_id, updated_at)
      SELECT i.id, i.user_id, i.phone_number, i.message_content, i.template_id, i.template_key, i.template_vars, 'sending', i.priority,
             i.segments, i.encoding, i.scheduled_for, i.send_started_at, 1, i.max_attempts, i.delivery_id, now()
        FROM input i JOIN open o ON o.id = i.delivery_id
      ON CONFLICT (notification_delivery_id) DO NOTHING
      RETURNING id, notification_delivery_id, phone_number, template_id, send_started_at
    ), d AS (
      UPDATE notification_deliveries d SET attempts = d.attempts + 1, channel_identifier = m.phone_number, updated_at = now()
        FROM m WHERE d.id = m.notification_delivery_id
    ), l AS (
      INSERT INTO sms_click_tracking (short_code, destination_url, delivery_id, sms_message_id)
      SELECT t.code, t.url, m.notification_delivery_id, m.id
        FROM unnest(${links.map((l) => l.deliveryId)}::uuid[], ${links.map((l) => l.code)}::text[], ${links.map((l) => l.url)}::text[]) AS t(delivery_id, code, url)
        JOIN m ON m.notification_delivery_id = t.delivery_id
      ON CONFLICT (short_code) DO NOTHING
    ), e AS (
      INSERT INTO sms_message_events (sms_message_id, status, attempt, source) SELECT m.id, 'sending', 1, 'adapter' FROM m
    ), u AS (
      UPDATE sms_templates s SET usage_count = s.usage_count + c.n, last_used_at = c.at
        FROM (SELECT template_id, count(*)::int AS n, max(send_started_at) AS at FROM m WHERE template_id IS NOT NULL GROUP BY template_id) c
       WHERE s.id = c.template_id
    )
    SELECT id::text FROM m`;
  const created = new Set(rows.map((r) => r.id));
  return ids.map((id) => (created.has(id) ? { id, attempt: 1 } : null));
}

/**
 * The provider accepted these messages. A status callback may already have moved a message
 * further (it can arrive before this write): never move it back.
 */
export async function recordAcceptedMany(prisma: PrismaClient, list: Acceptance[]): Promise<void[]> {
  await prisma.$executeRaw`
    WITH a AS (
      SELECT * FROM unnest(
        ${list.map((a) => a.messageId)}::uuid[], ${list.map((a) => a.deliveryId)}::uuid[], ${list.map((a) => a.sid)}::text[],
        ${list.map((a) => a.providerStatus)}::text[], ${list.map((a) => a.mapped)}::text[], ${list.map((a) => a.attempt)}::int[],
        ${list.map((a) => iso(a.now))}::timestamptz[]
      ) AS t(id, delivery_id, sid, provider_status, mapped, attempt, at)
    ), m AS (
      UPDATE sms_messages s
         SET twilio_sid = a.sid,
             twilio_status = COALESCE(s.twilio_status, a.provider_status),
             status = CASE WHEN s.status = 'sending' THEN a.mapped::sms_status ELSE s.status END,
             sent_at = COALESCE(s.sent_at, a.at),
             updated_at = now()
        FROM a
       WHERE s.id = a.id AND (s.twilio_sid IS NULL OR s.twilio_sid = a.sid)
    ), d AS (
      UPDATE notification_deliveries d
         SET status = 'sent', external_id = a.sid, sent_at = COALESCE(d.sent_at, a.at), updated_at = now()
        FROM a
       WHERE d.id = a.delivery_id AND d.status IN ('pending', 'deferred')
    )
    INSERT INTO sms_message_events (sms_message_id, status, twilio_status, twilio_sid, attempt, source)
    SELECT a.id, a.mapped::sms_status, a.provider_status, a.sid, a.attempt, 'adapter' FROM a`;
  return list.map(() => undefined);
}

/** Errors every row of a flush would meet alike (connection, deadlock): not worth re-running one by one. */
const splitOnError = (err: unknown) => classifyFailure(err) !== 'transient';

/** The adapter's per-send statements, group-committed. */
export class HotPath {
  private readonly loads: Batcher<string, LoadedDelivery | null>;
  private readonly counts: Batcher<CountInDay, number>;
  private readonly phones: Batcher<string, boolean>;
  private readonly attempts: Batcher<NewAttempt, { id: string; attempt: number } | null>;
  private readonly acceptances: Batcher<Acceptance, void>;

  constructor(prisma: PrismaClient, options: { maxBatch?: number; concurrency?: number } = {}) {
    const opts = { ...options, splitOnError };
    this.loads = new Batcher((ids) => loadDeliveries(prisma, ids), opts);
    this.counts = new Batcher((items) => countSentInDays(prisma, items), opts);
    this.phones = new Batcher((phones) => phonesSentBefore(prisma, phones), opts);
    this.attempts = new Batcher((list) => createFirstAttempts(prisma, list), opts);
    this.acceptances = new Batcher((list) => recordAcceptedMany(prisma, list), opts);
  }

  loadDelivery(id: string): Promise<LoadedDelivery | null> {
    return this.loads.call(id);
  }

  countSentInDay(item: CountInDay): Promise<number> {
    return this.counts.call(item);
  }

  /** Whether the hub already sent this number a message (queued or further). */
  sentToPhoneBefore(phone: string): Promise<boolean> {
    return this.phones.call(phone);
  }

  createFirstAttempt(attempt: NewAttempt): Promise<{ id: string; attempt: number } | null> {
    return this.attempts.call(attempt);
  }

  recordAccepted(acceptance: Acceptance): Promise<void> {
    return this.acceptances.call(acceptance);
  }
}
