import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import type { Clock } from '@hub/contracts';
import { DEFAULT_RETRY_AFTER_MS } from '@hub/sms-provider';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser, uniquePhone } from './support/seed.ts';
import { postReminder } from './support/events.ts';

/**
 * The sms-adapter against provider faults, through the official SDK and the sandbox: a send
 * slower than the adapter's provider timeout is reconciled, not resent; a rate-limited send
 * (429 / 20429) pauses the channel for the rate-limit wait and is sent again, accepted once.
 */
const PROVIDER_TIMEOUT_MS = 1_500;

/** Real time plus an offset the test moves forward: the scheduler fires a retry minutes ahead without waiting. */
class OffsetClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

const clock = new OffsetClock();
let hub: TestHub;
let apiKey: string;

beforeAll(async () => {
  hub = await startHub({ clock, providerTimeoutMs: PROVIDER_TIMEOUT_MS });
  apiKey = await hub.apiKey(['events:write']);
});
afterAll(async () => {
  await hub?.stop();
});

async function finalOf(eventId: string, timeoutMs = 30_000) {
  return waitFor(async () => {
    const d = await hub.prisma.notificationDelivery.findFirst({ where: { eventId }, include: { smsMessages: { include: { events: true } } } });
    return d && ['delivered', 'failed', 'undelivered', 'skipped', 'cancelled'].includes(d.status) ? d : null;
  }, { timeoutMs, what: `${eventId} final` });
}

describe('a provider call slower than the adapter timeout', () => {
  it('is an outcome-unknown send: reconciled, not resent; delivered with exactly one send', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'slow-provider', phone });
    hub.sandbox.setFaults({ latencyMs: PROVIDER_TIMEOUT_MS + 1_000 });
    try {
      await postReminder(hub, apiKey, 'slow-provider-1', 'slow-provider');
      // The sandbox carries the request out after the adapter gave up waiting for it.
      await waitFor(async () => hub.sandbox.sends({ to: phone }).length === 1, { timeoutMs: 20_000, what: 'the slow send carried out by the sandbox' });
    } finally {
      hub.sandbox.setFaults({ latencyMs: 0 });
    }
    const sms = await hub.prisma.smsMessage.findFirstOrThrow({ where: { phoneNumber: phone } });
    const d = await finalOf('slow-provider-1');
    expect(d.status).toBe('delivered');
    await hub.sandbox.drain();
    expect(hub.sandbox.requests({ creates: true, to: phone })).toHaveLength(1);
    expect(hub.sandbox.sends({ to: phone })).toHaveLength(1);
    expect(d.smsMessages).toHaveLength(1);
    expect(d.smsMessages[0]!.id).toBe(sms.id);
    expect(d.smsMessages[0]!.twilioSid).toBe(hub.sandbox.sends({ to: phone })[0]!.sid);
    expect(d.smsMessages[0]!.attemptCount).toBe(1);
    // The adapter waited to reconcile: a reconcile job, no retry job.
    const jobs = await hub.prisma.scheduledJob.findMany({ where: { refId: d.id } });
    expect(jobs.map((j) => j.kind)).toContain('reconcile');
    expect(jobs.map((j) => j.kind)).not.toContain('sms_retry');
  });
});

describe('a rate-limited send (429 / 20429)', () => {
  it('pauses the channel for the rate-limit wait and sends the held message again: two provider calls, one message, one attempt', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'rate-limited', phone });
    hub.sandbox.failNext(1, 429);
    await postReminder(hub, apiKey, 'rate-limited-1', 'rate-limited');
    const d = await finalOf('rate-limited-1');
    expect(d.status).toBe('delivered');
    await hub.sandbox.drain();
    const creates = hub.sandbox.requests({ creates: true, to: phone });
    expect(creates.map((r) => r.status)).toEqual([429, 201]);
    // Held for the provider's wait (DEFAULT_RETRY_AFTER_MS: Twilio sends no Retry-After), not failed or rescheduled.
    expect(creates[1]!.at.getTime() - creates[0]!.at.getTime()).toBeGreaterThanOrEqual(DEFAULT_RETRY_AFTER_MS - 50);
    expect(hub.sandbox.sends({ to: phone })).toHaveLength(1);
    expect(d.smsMessages).toHaveLength(1);
    // A provider-wide refusal is not the message's attempt.
    expect(d.smsMessages[0]!.attemptCount).toBe(1);
    expect(d.smsMessages[0]!.twilioSid).toBe(hub.sandbox.sends({ to: phone })[0]!.sid);
    expect(await hub.prisma.scheduledJob.count({ where: { refId: d.id, kind: 'sms_retry' } })).toBe(0);
  });
});
