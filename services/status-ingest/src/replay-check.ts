import type { PrismaClient } from '@hub/db';

/** Was this provider status already recorded for this message and sid? */
export type ReplayCheck = (messageId: string, sid: string, status: string) => Promise<boolean>;

interface Pending {
  messageId: string;
  sid: string;
  status: string;
  resolve(found: boolean): void;
  reject(err: unknown): void;
}

/** The most checks one statement answers. */
const MAX_BATCH = 500;

/**
 * The webhook's replay check, batched: checks that arrive while a query is in flight (or in
 * the same turn of the event loop) are answered together by the next one, a single statement
 * over unnest of their (message, sid, status). One query at a time, so under load the batches
 * grow instead of the queries: at 20 concurrent callbacks this is one round trip and one
 * Prisma call for many requests, where it was one of each per request (the largest single
 * cost in status-ingest's profile). The answer for each callback is the same EXISTS as before;
 * a failed query fails every check in it, and the caller publishes them as usual.
 */
export function createReplayCheck(prisma: PrismaClient): ReplayCheck {
  let queue: Pending[] = [];
  let running = false;

  const run = async (batch: Pending[]) => {
    const rows = await prisma.$queryRaw<{ n: bigint | number }[]>`
      SELECT i.n FROM unnest(${batch.map((p) => p.messageId)}::uuid[], ${batch.map((p) => p.sid)}::text[], ${batch.map((p) => p.status)}::text[])
                      WITH ORDINALITY AS i(id, sid, status, n)
       WHERE EXISTS (
         SELECT 1 FROM sms_message_events e
          WHERE e.sms_message_id = i.id AND e.twilio_sid = i.sid AND e.twilio_status = i.status AND e.source IN ('callback', 'lookup'))`;
    const found = new Set(rows.map((r) => Number(r.n) - 1));
    batch.forEach((p, i) => p.resolve(found.has(i)));
  };

  const drain = async () => {
    running = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(batch.length);
        await run(batch).catch((err: unknown) => {
          for (const p of batch) p.reject(err);
        });
      }
    } finally {
      running = false;
    }
  };

  return (messageId, sid, status) =>
    new Promise<boolean>((resolve, reject) => {
      queue.push({ messageId, sid, status, resolve, reject });
      // The first check of a quiet spell waits one turn for its neighbours; later ones join the queue of the running drain.
      if (!running && queue.length === 1) setImmediate(() => void drain());
    });
}
