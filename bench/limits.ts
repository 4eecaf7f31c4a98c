import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Kafka } from 'kafkajs';
import { round, seedUsers } from './measure.ts';

/** Raw kafkajs produce → consume of `count` messages of `size` bytes on the same broker. */
export async function kafkaLimit(kafka: Kafka, topic: string, partitions: number, count: number, sample: string): Promise<{ messages: number; bytes: number; seconds: number; perSec: number }> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}.reader`, maxBytes: 10 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let received = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) JSON.parse(m.value!.toString()); // a consumer parses what it reads
      received += batch.messages.length;
      if (received >= count) resolveDone();
    },
  });
  await joined;
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = Date.now();
  const batch = 500;
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < count; i += batch) {
    const messages = Array.from({ length: Math.min(batch, count - i) }, (_, j) => ({ key: `k${i + j}`, value: sample.replace('__ID__', String(i + j)) }));
    const p = producer.send({ topic, acks: -1, messages }).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await done;
  const seconds = (Date.now() - started) / 1000;
  await producer.disconnect();
  await consumer.disconnect();
  return { messages: count, bytes: Buffer.byteLength(sample), seconds: round(seconds, 2), perSec: round(count / seconds, 0) };
}

/**
 * The database's rate for the hub's per-message write pattern, done efficiently: for each batch,
 * INSERT the sms_messages rows from unnest(arrays), mark the deliveries sent, record the three
 * status events and apply the final "delivered" to both rows: one transaction per batch.
 */
export async function dbLimit(db: pg.Pool, count: number, batch: number, workers: number, phoneOffset: number): Promise<{ messages: number; seconds: number; perSec: number; batch: number; workers: number }> {
  await seedUsers(db, 'limit.test', count, 'lim', phoneOffset);
  await db.query(`INSERT INTO notification_events (id, event_type, payload) VALUES ('lim-ev', 'limit.test', '{}')`);
  await db.query(
    `INSERT INTO notification_deliveries (event_id, user_id, channel, status)
     SELECT 'lim-ev', u.id, 'sms', 'pending' FROM users u WHERE u.external_id LIKE 'lim-%'`,
  );
  const { rows } = await db.query<{ id: string; user_id: string; phone: string }>(
    `SELECT d.id, d.user_id, p.phone_number AS phone FROM notification_deliveries d JOIN user_sms_preferences p ON p.user_id = d.user_id WHERE d.event_id = 'lim-ev'`,
  );
  await db.query('ANALYZE');
  const batches: (typeof rows)[] = [];
  for (let i = 0; i < rows.length; i += batch) batches.push(rows.slice(i, i + batch));
  const started = Date.now();
  const work = async () => {
    const client = await db.connect();
    try {
      for (let b = batches.shift(); b; b = batches.shift()) {
        const ids = b.map(() => randomUUID());
        const sids = b.map(() => `SM${randomUUID().replace(/-/g, '')}`);
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO sms_messages (id, user_id, phone_number, message_content, template_key, template_vars, status, priority, segments, send_started_at, sent_at, twilio_sid, twilio_status, attempt_count, notification_delivery_id)
           SELECT v.id, v.user_id, v.phone, v.body, 'task_reminder', '{"task_name":"Bench task","due_time":"5pm"}'::jsonb, 'sent', 'normal', 1, now(), now(), v.sid, 'queued', 1, v.did
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[]) AS v(id, user_id, phone, body, sid, did)`,
          [ids, b.map((r) => r.user_id), b.map((r) => r.phone), b.map(() => 'Reminder: Bench task is due 5pm.'), sids, b.map((r) => r.id)],
        );
        await client.query(
          `UPDATE notification_deliveries d SET status = 'sent', sent_at = now(), attempts = 1, external_id = v.sid, channel_identifier = v.phone, updated_at = now()
             FROM unnest($1::uuid[], $2::text[], $3::text[]) AS v(id, sid, phone) WHERE d.id = v.id`,
          [b.map((r) => r.id), sids, b.map((r) => r.phone)],
        );
        await client.query(
          `INSERT INTO sms_message_events (sms_message_id, status, twilio_status, twilio_sid, attempt, source)
           SELECT v.id, s.status::sms_status, s.status, v.sid, 1, 'callback'
             FROM unnest($1::uuid[], $2::text[]) AS v(id, sid) CROSS JOIN (VALUES ('queued'), ('sent'), ('delivered')) AS s(status)`,
          [ids, sids],
        );
        await client.query(`UPDATE sms_messages SET status = 'delivered', twilio_status = 'delivered', delivered_at = now(), updated_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
        await client.query(`UPDATE notification_deliveries SET status = 'delivered', delivered_at = now(), updated_at = now() WHERE id = ANY($1::uuid[])`, [b.map((r) => r.id)]);
        await client.query('COMMIT');
      }
    } finally {
      client.release();
    }
  };
  await Promise.all(Array.from({ length: workers }, work));
  const seconds = (Date.now() - started) / 1000;
  return { messages: rows.length, seconds: round(seconds, 2), perSec: round(rows.length / seconds, 0), batch, workers };
}
