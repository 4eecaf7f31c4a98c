import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { PhoneVerifier, SmsProvider } from '@hub/sms-provider';

/** The gateway's own Prometheus metrics (the registry also holds Node's default metrics). */
export interface GatewayMetrics {
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  eventsAccepted: Counter<'outcome'>;
  providerDuration: Histogram<'op' | 'outcome'>;
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  return {
    httpDuration: new Histogram({
      name: 'hub_http_request_duration_seconds',
      help: 'Gateway HTTP request duration by route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    eventsAccepted: new Counter({
      name: 'hub_gateway_events_total',
      help: 'Events posted to the gateway by outcome (accepted, duplicate, conflict)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    providerDuration: new Histogram({
      name: 'hub_provider_request_duration_seconds',
      help: 'SMS provider API call duration from the gateway (health probe, Verify, cancel)',
      labelNames: ['op', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7, 10],
      registers: [registry],
    }),
  };
}

/** Records every request's duration under its route template (never the raw URL: bounded labels). */
export function registerHttpMetrics(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}

type Provider = SmsProvider & PhoneVerifier;

/** Wraps the provider so every call the gateway makes is timed into the provider histogram. */
export function instrumentProvider(provider: Provider, metrics: GatewayMetrics): Provider {
  const timed = <A extends unknown[], R>(op: string, fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    const end = metrics.providerDuration.startTimer({ op });
    try {
      const result = await fn(...args);
      end({ outcome: 'ok' });
      return result;
    } catch (err) {
      end({ outcome: 'error' });
      throw err;
    }
  };
  return {
    send: timed('send', (req) => provider.send(req)),
    fetch: timed('fetch', (sid) => provider.fetch(sid)),
    cancel: timed('cancel', (sid) => provider.cancel(sid)),
    findSent: timed('list', (q) => provider.findSent(q)),
    start: timed('verify_start', (to) => provider.start(to)),
    check: timed('verify_check', (to, code) => provider.check(to, code)),
  };
}
