import twilio from 'twilio';
import { waitFor } from '@hub/testkit';
import type { NotificationDelivery, SmsMessage } from '@hub/db';
import type { TestHub } from './support/hub.ts';

/** Helpers shared by the rules-*.int.test.ts files: events in, deliveries and sends out. */

export type DeliveryWithSms = NotificationDelivery & { smsMessages: SmsMessage[] };

const FINAL = ['delivered', 'failed', 'skipped', 'cancelled'];

export interface RulesKit {
  post(event: { id: string; type: string; targetUserId: string; payload?: Record<string, unknown>; priority?: string; scheduledFor?: string }): Promise<void>;
  /** Waits until the event's delivery for this user reaches `status` (one of them). */
  deliveryIn(eventId: string, status: string | string[], timeoutMs?: number): Promise<DeliveryWithSms>;
  /** Waits for a final status (delivered, failed, skipped, cancelled). */
  finalDelivery(eventId: string, timeoutMs?: number): Promise<DeliveryWithSms>;
  phoneOf(userId: string): Promise<string>;
  sendsTo(phone: string): ReturnType<TestHub['sandbox']['sends']>;
  /** Posts a signed Twilio inbound SMS to status-ingest; returns the HTTP response. */
  inbound(from: string, body: string, sid?: string): Promise<{ status: number; text: string; sid: string }>;
}

let inboundCounter = 0;

export function rulesKit(hub: TestHub, apiKey: () => string): RulesKit {
  const deliveryIn = async (eventId: string, status: string | string[], timeoutMs = 30_000) => {
    const wanted = Array.isArray(status) ? status : [status];
    return waitFor(async () => {
      const d = await hub.prisma.notificationDelivery.findFirst({ where: { eventId }, include: { smsMessages: true } });
      return d && wanted.includes(d.status) ? d : null;
    }, { timeoutMs, what: `delivery of ${eventId} in ${wanted.join('|')}` });
  };
  return {
    post: async (event) => {
      const res = await hub.gateway.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${apiKey()}` }, payload: event });
      if (res.statusCode !== 202) throw new Error(`POST /v1/events ${res.statusCode}: ${res.body}`);
    },
    deliveryIn,
    finalDelivery: (eventId, timeoutMs) => deliveryIn(eventId, FINAL, timeoutMs),
    phoneOf: async (userId) => (await hub.prisma.userSmsPreferences.findUniqueOrThrow({ where: { userId } })).phoneNumber!,
    sendsTo: (phone) => hub.sandbox.sends({ to: phone }),
    inbound: async (from, body, sid = `SM${(++inboundCounter).toString(16).padStart(8, '0')}${Date.now().toString(16).padStart(24, '0')}`) => {
      const url = `${hub.statusIngestUrl}/webhooks/twilio/inbound`;
      const params = { From: from, To: '+15005550006', Body: body, MessageSid: sid };
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(hub.sandbox.authToken, url, params) },
        body: new URLSearchParams(params).toString(),
      });
      return { status: res.status, text: await res.text(), sid };
    },
  };
}
