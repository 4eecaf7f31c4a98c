import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@hub/testkit';
import { startHub, type ExternalService, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { spawnService, type ServiceProcess } from './support/processes.ts';
import { postReminder } from './support/events.ts';

/** Every service process serves Prometheus metrics; the figures move with real traffic. */
let hub: TestHub;
const children: ServiceProcess[] = [];
const ports = new Map<string, number>();
const external: ExternalService[] = ['router', 'sms-adapter', 'scheduler', 'status-ingest'];

beforeAll(async () => {
  hub = await startHub({ external });
  for (const name of external) {
    if (name === 'status-ingest') {
      children.push(spawnService(name, hub.envFor(name)));
      continue;
    }
    const port = await freePort();
    ports.set(name, port);
    children.push(spawnService(name, hub.envFor(name, { METRICS_PORT: String(port), HOST: '127.0.0.1' })));
  }
}, 60_000);
afterAll(async () => {
  await Promise.allSettled(children.map((c) => c.kill()));
  await hub?.stop();
});

/** The value of one Prometheus sample whose labels include `labels` (a RegExp matches a value). */
function sample(body: string, name: string, labels: Record<string, string | RegExp> = {}): number | undefined {
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    const matches = Object.entries(labels).every(([k, v]) => got[k] !== undefined && (typeof v === 'string' ? got[k] === v : v.test(got[k])));
    if (matches) return Number(m[3]);
  }
  return undefined;
}

const scrape = (url: string) => fetch(url).then(async (r) => ({ status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() }));
const metricsOf = (name: string) => scrape(name === 'status-ingest' ? `${hub.statusIngestUrl}/metrics` : `http://127.0.0.1:${ports.get(name)}/metrics`);

describe('GET /metrics of every service', () => {
  it('reports consumer lag, deliveries, provider latency, statuses and webhook rejections after a delivery', async () => {
    await seedUser(hub.prisma, { externalId: 'metrics-user' });
    const apiKey = await hub.apiKey(['events:write']);
    await waitFor(async () => (await metricsOf('status-ingest').catch(() => null))?.status === 200, { timeoutMs: 30_000, what: 'status-ingest up' });
    await postReminder(hub, apiKey, 'metrics-1', 'metrics-user');
    await waitFor(async () => (await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'metrics-1', status: 'delivered' } })) ?? null, { timeoutMs: 30_000, what: 'delivered' });
    // A forged callback: refused and counted.
    const forged = await fetch(`${hub.statusIngestUrl}/webhooks/twilio/status`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'forged' }, body: 'MessageSid=SMx&MessageStatus=delivered' });
    expect(forged.status).toBe(403);

    const router = await metricsOf('router');
    expect(router.status).toBe(200);
    expect(router.type).toContain('text/plain');
    expect(sample(router.body, 'hub_kafka_consumer_lag', { service: 'router', group: 'router', topic: /notify\.events\.v1$/ })).toBe(0);
    expect(sample(router.body, 'process_resident_memory_bytes', { service: 'router' })).toBeGreaterThan(0);

    const adapter = await metricsOf('sms-adapter');
    expect(sample(adapter.body, 'hub_kafka_consumer_lag', { group: 'sms-adapter', topic: /notify\.deliveries\.sms\.v1$/ })).toBe(0);
    expect(sample(adapter.body, 'hub_sms_deliveries_total', { service: 'sms-adapter', outcome: 'sent' })).toBe(1);
    expect(sample(adapter.body, 'hub_provider_request_duration_seconds_count', { op: 'send', outcome: 'ok' })).toBe(1);

    const scheduler = await metricsOf('scheduler');
    expect(sample(scheduler.body, 'process_cpu_seconds_total', { service: 'scheduler' })).toBeGreaterThan(0);

    const ingest = await metricsOf('status-ingest');
    expect(sample(ingest.body, 'hub_sms_status_total', { service: 'status-ingest', status: 'delivered' })).toBe(1);
    expect(sample(ingest.body, 'hub_webhook_rejections_total', { service: 'status-ingest', reason: 'invalid_signature' })).toBe(1);

    const gateway = (await hub.gateway.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(gateway, 'hub_http_request_duration_seconds_count', { route: '/v1/events', status_code: '202' })).toBe(1);
    expect(sample(gateway, 'hub_gateway_events_total', { outcome: 'accepted' })).toBe(1);

    const other = await fetch(`http://127.0.0.1:${ports.get('router')}/other`);
    expect(other.status).toBe(404);
  }, 90_000);
});
