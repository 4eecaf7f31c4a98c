import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HEALTH_ERROR_CODES, type HealthMonitor } from '../health/monitor.ts';

const light = z.enum(['green', 'yellow', 'red']);
const status = z.enum(['green', 'yellow', 'red', 'unknown']);
/** A code, never an error's text: /health is unauthenticated. */
const error = z.enum(HEALTH_ERROR_CODES).optional();

const healthSchema = z.object({
  status: light,
  checkedAt: z.string(),
  checks: z.object({
    database: z.object({ status, latencyMs: z.number().nullable(), error }),
    kafka: z.object({ status, latencyMs: z.number().nullable(), brokers: z.number().optional(), error }),
    provider: z.object({ status, latencyMs: z.number().nullable(), error }),
    providerAuth: z.object({ status, error }),
    providerBalance: z.object({
      status, balance: z.number().nullable(), currency: z.string().nullable(), yellowBelow: z.number(), redBelow: z.number(),
      checkedAt: z.string().nullable(), answeredAt: z.string().nullable(), error,
    }).describe('SMS provider account balance (Twilio Balance API), refreshed in the background every HEALTH_ACCOUNT_REFRESH_MS: yellow below yellowBelow, red below redBelow (account currency); unknown before the first answer (pending) and while the provider cannot be asked (its own code, the last balance kept); red on auth_failed'),
    providerSender: z.object({
      status, kind: z.enum(['phone_number', 'messaging_service', 'unverifiable']).nullable(), exists: z.boolean().nullable(),
      checkedAt: z.string().nullable(), answeredAt: z.string().nullable(), error,
    }).describe('whether the configured sender exists on the account (the Messaging Service when set, else the From number in IncomingPhoneNumbers), same background refresh: red when it does not (from_number_not_found, messaging_service_not_found, from_number_not_sms_capable) or on auth_failed'),
    deliveryRate: z.object({ status, window: z.string(), rate: z.number().nullable(), delivered: z.number(), failed: z.number(), sufficientSample: z.boolean(), error }).describe('SMS'),
    deliveryTime: z.object({ status, window: z.string(), averageMs: z.number().nullable(), delivered: z.number(), sufficientSample: z.boolean(), error })
      .describe('SMS: average time from provider acceptance to the delivered callback, over the delivery-rate window'),
    channels: z.object({
      status,
      paused: z.array(z.object({ channel: z.string(), code: z.string(), since: z.string(), nextProbeAt: z.string(), heldRequests: z.number(), instances: z.number() })),
      error: z.enum(['query_failed', 'timeout']).optional(),
    }).describe('channels paused by a provider-wide failure (credentials, account, sender, rate limit, provider down): their deliveries are held, not failed; red while any is'),
    emailProvider: z.object({ status, latencyMs: z.number().nullable(), error }).describe('the mail relay (connect + authenticate)'),
    email: z.object({
      status, window: z.string(), accepted: z.number(), failed: z.number(), bounced: z.number(), complained: z.number(),
      successRate: z.number().nullable(), bounceRate: z.number().nullable(), complaintRate: z.number().nullable(), sufficientSample: z.boolean(), error,
    }).describe('email outcomes: relay success, bounce and complaint rates'),
  }),
});

/** GET /health (no auth): the runbook's verdict with the figures behind it; 503 when red. */
export function registerHealthRoutes(app: FastifyInstance, monitor: HealthMonitor): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/health', {
    schema: {
      tags: ['health'], security: [],
      summary: 'Green / yellow / red by the runbook: SMS provider latency and auth, account balance and sender, paused channels, SMS delivery rate and average delivery time, mail relay, email success / bounce / complaint rates, database, Kafka (503 when red)',
      response: { 200: healthSchema, 503: healthSchema },
    },
  }, async (_request, reply) => {
    const report = await monitor.report();
    return reply.code(report.status === 'red' ? 503 : 200).header('cache-control', 'no-store').send(report);
  });
  // Liveness (for process supervisors and the local start script): the process answers.
  // It checks nothing else, so a red dependency never gets the gateway restarted in a loop.
  r.get('/health/live', {
    schema: { tags: ['health'], security: [], summary: 'Liveness: the gateway process answers (no dependency checks)', response: { 200: z.object({ status: z.literal('ok') }) } },
  }, async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' as const }));
  // The account checks refresh in the background from the moment the app is ready.
  app.addHook('onReady', async () => monitor.start());
  app.addHook('onClose', () => monitor.close());
}
