import type { EmailProviderCall } from '@hub/email-provider';
import { Histogram, type Registry } from 'prom-client';

/** hub_email_provider_request_duration_seconds{op,outcome}: every SMTP call of the email-adapter. */
export function emailProviderCallRecorder(registry: Registry): (call: EmailProviderCall) => void {
  const histogram = new Histogram({
    name: 'hub_email_provider_request_duration_seconds',
    help: 'SMTP call duration from the email-adapter, by outcome (ok or the error code)',
    labelNames: ['op', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [registry],
  });
  return (call) => histogram.observe({ op: call.op, outcome: call.ok ? 'ok' : (call.errorCode ?? 'error') }, call.ms / 1000);
}
