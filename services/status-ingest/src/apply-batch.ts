import type { SmsStatusUpdate } from '@hub/contracts';
import { deliveryStatusFor, mapTwilioStatus, shouldApplyStatus, type SmsStatus } from '@hub/sms-rules';
import { failpoint } from '@hub/runtime';
import { applyStatus, type ApplyDeps, type ApplyOutcome } from './apply-status.ts';

interface CurrentRow {
  id: string;
  status: SmsStatus;
  twilio_sid: string | null;
  attempt_count: number;
  /** Provider statuses already recorded for the current sid (callbacks and lookups). */
  recorded: string[];
}

/** What a batch does to one message: its statuses folded in order over the stored row. */
interface Folded {
  row: CurrentRow;
  updates: SmsStatusUpdate[];
  /** Per update: applied, recorded only, or an exact replay (nothing written). */
  applied: boolean[];
  replay: boolean[];
  /** The last applied update, or null when every one was a duplicate or a regression. */
  last: { status: SmsStatus; update: SmsStatusUpdate } | null;
  sent: boolean;
  delivered: boolean;
}

export interface BatchResult {
  update: SmsStatusUpdate;
  outcome: ApplyOutcome;
  /** Applied with the whole batch, or one by one under a row lock. */
  path: 'batch' | 'locked';
}

/** A status the batch path handles: progress for the current attempt's sid (not a failure). */
const batchable = (status: SmsStatus | null): status is SmsStatus => status !== null && status !== 'failed' && status !== 'undelivered';

/**
 * Applies a Kafka batch of provider statuses. The common case — progress statuses (queued,
 * sent, delivered, canceled) for the sid of a message's current attempt — is applied for the
 * whole batch in one transaction of two statements: every message's statuses folded in order
 * by the same ranking as one at a time, each message written only if its row is still as
 * read. Every other message (failures that may retry or opt out, unknown sids, a row changed
 * meanwhile) goes through applyStatus, one status at a time under a row lock, in order.
 */
export async function applyStatuses(deps: ApplyDeps, updates: SmsStatusUpdate[]): Promise<BatchResult[]> {
  const byMessage = new Map<string, SmsStatusUpdate[]>();
  for (const u of updates) byMessage.set(u.messageId, [...(byMessage.get(u.messageId) ?? []), u]);
  const candidates = [...byMessage].filter(([, list]) => list.every((u) => batchable(mapTwilioStatus(u.status))));
  const rows = candidates.length === 0 ? [] : await deps.prisma.$queryRaw<CurrentRow[]>`
    SELECT m.id::text, m.status::text AS status, m.twilio_sid, m.attempt_count,
           ARRAY(SELECT e.twilio_status FROM sms_message_events e
                  WHERE e.sms_message_id = m.id AND e.twilio_sid = m.twilio_sid AND e.source IN ('callback', 'lookup') AND e.twilio_status IS NOT NULL) AS recorded
      FROM sms_messages m WHERE m.id = ANY(${candidates.map(([id]) => id)}::uuid[])`;
  const current = new Map(rows.map((r) => [r.id, r]));

  const folded: Folded[] = [];
  for (const [id, list] of candidates) {
    const row = current.get(id);
    if (!row || list.some((u) => u.sid !== row.twilio_sid)) continue;
    folded.push(fold(row, list));
  }
  const done = folded.length === 0 ? new Set<string>() : await writeFolded(deps, folded);

  const results: BatchResult[] = [];
  for (const f of folded) {
    if (!done.has(f.row.id)) continue;
    f.updates.forEach((update, i) => results.push({ update, outcome: f.replay[i] ? 'replay' : f.applied[i] ? 'applied' : 'ignored', path: 'batch' }));
  }
  // The rest, one by one, in arrival order.
  for (const u of updates) {
    if (done.has(u.messageId)) continue;
    results.push({ update: u, outcome: await applyStatus(deps, u), path: 'locked' });
    failpoint('status.between_writes');
  }
  return results;
}

function fold(row: CurrentRow, updates: SmsStatusUpdate[]): Folded {
  let status = row.status;
  const f: Folded = { row, updates, applied: [], replay: [], last: null, sent: false, delivered: false };
  // One history row per (message, sid, status): a status already recorded, or seen earlier in
  // this batch, is a replay and writes nothing (the unique index backs this up).
  const seen = new Set(row.recorded);
  for (const update of updates) {
    const replay = seen.has(update.status);
    seen.add(update.status);
    f.replay.push(replay);
    if (replay) {
      f.applied.push(false);
      continue;
    }
    const incoming = mapTwilioStatus(update.status)!;
    const apply = shouldApplyStatus(status, incoming);
    f.applied.push(apply);
    if (!apply) continue;
    status = incoming;
    f.last = { status: incoming, update };
    if (incoming === 'sent') f.sent = true;
    if (incoming === 'delivered') f.delivered = true;
  }
  return f;
}

/** Writes the folded messages; returns the ids written (a row changed since the read is left out). */
async function writeFolded(deps: ApplyDeps, folded: Folded[]): Promise<Set<string>> {
  const now = deps.clock.now();
  const changes = folded.filter((f) => f.last !== null);
  return deps.prisma.$transaction(async (tx) => {
    const changed = changes.length === 0 ? [] : await tx.$queryRaw<{ id: string }[]>`
      WITH input AS (
        SELECT * FROM unnest(
          ${changes.map((f) => f.row.id)}::uuid[], ${changes.map((f) => f.row.status)}::text[], ${changes.map((f) => f.row.attempt_count)}::int[],
          ${changes.map((f) => f.last!.status)}::text[], ${changes.map((f) => f.last!.update.status)}::text[], ${changes.map((f) => f.last!.update.sid)}::text[],
          ${changes.map((f) => f.last!.update.errorCode)}::int[], ${changes.map((f) => f.last!.update.errorMessage)}::text[],
          ${changes.map((f) => deliveryStatusFor(f.last!.status))}::text[], ${changes.map((f) => f.sent)}::boolean[], ${changes.map((f) => f.delivered)}::boolean[],
          ${changes.map((f) => f.last!.update.receivedAt)}::timestamptz[]
        ) AS t(id, observed, attempt, status, twilio_status, sid, error_code, error_message, delivery_status, set_sent, set_delivered, received_at)
      ), m AS (
        UPDATE sms_messages s
           SET status = i.status::sms_status, twilio_status = i.twilio_status, twilio_error_code = i.error_code, twilio_error_message = i.error_message,
               -- sent_at is Twilio's acceptance (set by the adapter); the callback's own time apart.
               sent_at = CASE WHEN i.set_sent THEN COALESCE(s.sent_at, ${now}::timestamptz) ELSE s.sent_at END,
               provider_sent_at = CASE WHEN i.set_sent THEN COALESCE(s.provider_sent_at, i.received_at) ELSE s.provider_sent_at END,
               delivered_at = CASE WHEN i.set_delivered THEN ${now}::timestamptz ELSE s.delivered_at END,
               updated_at = now()
          FROM input i
         WHERE s.id = i.id AND s.status = i.observed::sms_status AND s.twilio_sid = i.sid AND s.attempt_count = i.attempt
        RETURNING s.id, s.notification_delivery_id, i.sid, i.delivery_status, i.set_sent, i.set_delivered
      ), d AS (
        UPDATE notification_deliveries d
           SET status = m.delivery_status::delivery_status, external_id = m.sid,
               sent_at = CASE WHEN m.delivery_status = 'sent' THEN COALESCE(d.sent_at, ${now}::timestamptz) ELSE d.sent_at END,
               delivered_at = CASE WHEN m.delivery_status = 'delivered' THEN ${now}::timestamptz ELSE d.delivered_at END,
               updated_at = now()
          FROM m WHERE d.id = m.notification_delivery_id
      )
      SELECT id::text FROM m`;
    const written = new Set([...changed.map((r) => r.id), ...folded.filter((f) => f.last === null).map((f) => f.row.id)]);
    const recorded = folded.filter((f) => written.has(f.row.id));
    const events = recorded.flatMap((f) => f.updates.map((u, i) => ({ f, u, applied: f.applied[i]!, replay: f.replay[i]! }))).filter((e) => !e.replay);
    if (events.length > 0) {
      await tx.$executeRaw`
        INSERT INTO sms_message_events (sms_message_id, status, twilio_status, twilio_sid, attempt, error_code, source, applied, occurred_at)
        SELECT * FROM unnest(
          ${events.map((e) => e.f.row.id)}::uuid[], ${events.map((e) => mapTwilioStatus(e.u.status)!)}::sms_status[], ${events.map((e) => e.u.status)}::text[],
          ${events.map((e) => e.u.sid)}::text[], ${events.map((e) => e.f.row.attempt_count)}::int[], ${events.map((e) => e.u.errorCode)}::int[],
          ${events.map((e) => e.u.source)}::text[], ${events.map((e) => e.applied)}::boolean[], ${events.map((e) => e.u.receivedAt)}::timestamptz[]
        )
        ON CONFLICT DO NOTHING`;
    }
    return written;
  });
}
