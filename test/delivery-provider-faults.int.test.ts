import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import type { Clock } from '@hub/contracts';
import { RETRY_JITTER_RATIO, retryBaseDelayMs } from '@hub/sms-rules';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser, uniquePhone } from './support/seed.ts';
import { postReminder } from './support/events.ts';

/**
 * The sms-adapter against provider faults, through the official SDK and the sandbox: a send
 * slower than the adapter's provider timeout is reconciled, not resent; a rate-limited send
 * (429 / 20429) is retried after the rate-limit delay and accepted once.
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
  it('is retried after the rate-limit delay and accepted once: two provider calls, one message', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'rate-limited', phone });
    hub.sandbox.failNext(1, 429);
    await postReminder(hub, apiKey, 'rate-limited-1', 'rate-limited');
    const retry = await waitFor(async () => {
      const d = await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'rate-limited-1' } });
      return d ? hub.prisma.scheduledJob.findFirst({ where: { refId: d.id, kind: 'sms_retry', status: 'pending' } }) : null;
    }, { what: 'a retry scheduled after the 429' });
    const [first] = hub.sandbox.requests({ creates: true, to: phone });
    expect(first).toMatchObject({ status: 429 });
    expect(hub.sandbox.sends({ to: phone })).toHaveLength(0);
    // Twilio's 20429 is a rate limit: the retry waits the rate-limit base delay (less at most the jitter).
    const minDelay = retryBaseDelayMs('rate_limit') * (1 - RETRY_JITTER_RATIO);
    expect(retry.dueAt.getTime() - first!.at.getTime()).toBeGreaterThanOrEqual(minDelay);
    const failed = await hub.prisma.smsMessage.findFirstOrThrow({ where: { phoneNumber: phone } });
    expect(failed.twilioSid).toBeNull();

    // Time passes (the clock moves; nothing sleeps): the scheduler fires the retry.
    clock.offsetMs += retry.dueAt.getTime() - clock.now().getTime() + 1_000;
    const d = await finalOf('rate-limited-1');
    expect(d.status).toBe('delivered');
    await hub.sandbox.drain();
    expect(hub.sandbox.requests({ creates: true, to: phone }).map((r) => r.status)).toEqual([429, 201]);
    expect(hub.sandbox.sends({ to: phone })).toHaveLength(1);
    expect(d.smsMessages).toHaveLength(1);
    expect(d.smsMessages[0]!.attemptCount).toBe(2);
    expect(d.smsMessages[0]!.twilioSid).toBe(hub.sandbox.sends({ to: phone })[0]!.sid);
    expect((await hub.prisma.scheduledJob.findUniqueOrThrow({ where: { id: retry.id } })).status).toBe('done');
  });
});
