import { systemClock } from '@hub/contracts';
import { createInfra, runService } from '@hub/runtime';
import { buildStatusIngest } from './app.ts';
import { loadStatusIngestConfig } from './config.ts';

const config = loadStatusIngestConfig();
const infra = createInfra('status-ingest', config);
await runService(infra.log, async () => {
  const service = await buildStatusIngest({
    ...infra,
    clock: systemClock,
    authToken: config.TWILIO_AUTH_TOKEN,
    publicUrl: config.STATUS_INGEST_PUBLIC_URL,
    helpText: config.SMS_HELP_TEXT,
    sendgridPublicKey: config.SENDGRID_WEBHOOK_PUBLIC_KEY,
    sendgridToleranceSeconds: config.SENDGRID_WEBHOOK_TOLERANCE_SECONDS,
  });
  if (!config.SENDGRID_WEBHOOK_PUBLIC_KEY) infra.log.info('SENDGRID_WEBHOOK_PUBLIC_KEY not set: email provider events (bounces, complaints) are not taken in');
  const address = await service.app.listen({ port: config.PORT, host: config.HOST });
  infra.log.info({ address }, 'status-ingest listening');
  return { stop: async () => { await service.stop(); await infra.close(); } };
});
