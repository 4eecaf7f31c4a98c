import { Histogram, type Registry } from 'prom-client';
import type { ProviderCall } from '@hub/sms-provider';

/** hub_provider_request_duration_seconds{op,outcome}: every call the adapter makes to the provider. */
export function providerCallRecorder(registry: Registry): (call: ProviderCall) => void {
  const histogram = new Histogram({
    name: 'hub_provider_request_duration_seconds',
    help: 'SMS provider API call duration from the sms-adapter (send, fetch, list, cancel), by outcome',
    labelNames: ['op', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7, 10],
    registers: [registry],
  });
  return (call) => histogram.observe({ op: call.op, outcome: call.ok ? 'ok' : (call.errorCode ?? 'error') }, call.ms / 1000);
}
