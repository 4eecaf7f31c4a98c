import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import twilio from 'twilio';
import { dlqOf, HEADERS, TOPICS } from '@hub/contracts';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';

let hub: TestHub;
let apiKey: string;

beforeAll(async () => {
  hub = await startHub();
  apiKey = await hub.apiKey(['events:write']);
});
afterAll(async () => {
  await hub?.stop();
});

async function finalState(deliveryOwnerId: string, eventId: string) {
  return waitFor(
    async () => {
      const delivery = await hub.prisma.notificationDelivery.findFirst({ where: { eventId, userId: deliveryOwnerId }, include: { smsMessages: true } });
      const sms = delivery?.smsMessages[0];
      return delivery?.status === 'delivered' && sms?.status === 'delivered' ? { delivery, sms } : null;
    },
    { timeoutMs: 30_000, what: `event ${eventId} delivered` },
  );
}

async function topicEnd(topic: string): Promise<number> {
  const admin = hub.bus.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(hub.bus.topic(topic));
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('walking skeleton: one SMS from event to delivered', () => {
  it('delivers an event posted over HTTP, with exactly one provider send', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'http-user' });
    const res = await hub.gateway.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { id: 'evt-http-1', type: 'task.reminder', targetUserId: 'http-user', payload: { task_name: 'Write the report', due_time: 'at 15:00' } },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ id: 'evt-http-1', status: 'accepted' });

    const { delivery, sms } = await finalState(userId, 'evt-http-1');
    expect(delivery.externalId).toBe(sms.twilioSid);
    expect(sms.messageContent).toContain('Write the report');
    expect(sms.notificationDeliveryId).toBe(delivery.id);
    const sends = hub.sandbox.sends().filter((s) => s.messageId === sms.id);
    expect(sends).toHaveLength(1);
  });

  it('delivers an event published straight to Kafka by a plain producer', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'kafka-user' });
    const kafka = new kafkajs.Kafka({ clientId: 'plain-producer', brokers: hub.brokers, logLevel: kafkajs.logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: hub.bus.topic(TOPICS.events),
      messages: [{
        key: 'kafka-user',
        value: JSON.stringify({ id: 'evt-kafka-1', type: 'task.reminder', targetUserId: 'kafka-user', payload: { task_name: 'Kafka task', due_time: 'tomorrow' }, occurredAt: new Date().toISOString() }),
      }],
    });
    await producer.disconnect();
    const { sms } = await finalState(userId, 'evt-kafka-1');
    expect(hub.sandbox.sends().filter((s) => s.messageId === sms.id)).toHaveLength(1);
  });

  it('answers a malformed HTTP event with 400 and field errors, producing nothing', async () => {
    const before = await topicEnd(TOPICS.events);
    const res = await hub.gateway.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { id: 'bad id with spaces', type: '', payload: 'not-an-object' },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe('validation_failed');
    const fields = body.error.fields.map((f: { field: string }) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['body.id', 'body.type', 'body.payload']));
    expect(await topicEnd(TOPICS.events)).toBe(before);
    expect(await hub.prisma.notificationEvent.count({ where: { id: 'bad id with spaces' } })).toBe(0);
  });

  it('refuses a request without an API key', async () => {
    const res = await hub.gateway.inject({ method: 'POST', url: '/v1/events', payload: {} });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthenticated');
  });

  it('sends a malformed Kafka message to the DLQ with the reason and keeps processing', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'after-poison' });
    const kafka = new kafkajs.Kafka({ clientId: 'poison-producer', brokers: hub.brokers, logLevel: kafkajs.logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const topic = hub.bus.topic(TOPICS.events);
    // Same key: same partition, poison first.
    await producer.send({
      topic,
      messages: [
        { key: 'after-poison', value: '{not json', headers: { 'x-origin': 'test' } },
        { key: 'after-poison', value: JSON.stringify({ id: 'evt-no-type', occurredAt: new Date().toISOString() }) },
        { key: 'after-poison', value: JSON.stringify({ id: 'evt-after-poison', type: 'task.reminder', targetUserId: 'after-poison', payload: { task_name: 'still works', due_time: 'now' }, occurredAt: new Date().toISOString() }) },
      ],
    });
    await producer.disconnect();
    await finalState(userId, 'evt-after-poison');

    const consumer = kafka.consumer({ groupId: `${hub.prefix}-dlq-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: dlqOf(topic), fromBeginning: true });
    const seen: { value: string; headers: Record<string, string> }[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        seen.push({ value: message.value?.toString() ?? '', headers });
      },
    });
    await waitFor(async () => seen.length >= 2, { what: 'two DLQ messages' });
    await consumer.disconnect();
    const reasons = seen.map((m) => m.headers[HEADERS.dlqReason]).sort();
    expect(reasons).toEqual(['invalid_json', 'schema_violation']);
    const poison = seen.find((m) => m.headers[HEADERS.dlqReason] === 'invalid_json')!;
    expect(poison.value).toBe('{not json');
    expect(poison.headers['x-origin']).toBe('test');
    expect(seen.find((m) => m.headers[HEADERS.dlqReason] === 'schema_violation')!.headers[HEADERS.dlqError]).toContain('type');
  });

  it('refuses a status webhook with a wrong signature (403) and changes nothing', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'sig-user' });
    await hub.gateway.inject({
      method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${apiKey}` },
      payload: { id: 'evt-sig-1', type: 'task.reminder', targetUserId: 'sig-user', payload: { task_name: 'sig', due_time: 'soon' } },
    });
    const { sms } = await finalState(userId, 'evt-sig-1');
    const before = await topicEnd(TOPICS.smsStatus);
    const url = `${hub.statusIngestUrl}/webhooks/twilio/status?mid=${sms.id}`;
    const params = { MessageSid: sms.twilioSid!, MessageStatus: 'failed', ErrorCode: '30003' };
    const forged = twilio.getExpectedTwilioSignature('not-the-token', url, params);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': forged },
      body: new URLSearchParams(params).toString(),
    });
    expect(res.status).toBe(403);
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });
    expect(unsigned.status).toBe(403);
    expect(await topicEnd(TOPICS.smsStatus)).toBe(before);
    const after = await hub.prisma.smsMessage.findUniqueOrThrow({ where: { id: sms.id } });
    expect(after.status).toBe('delivered');
    expect(after.twilioErrorCode).toBeNull();
  });
});
