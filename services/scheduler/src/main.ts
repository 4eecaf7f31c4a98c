import { createInfra, runService } from '@hub/runtime';
import { buildScheduler } from './app.ts';
import { loadSchedulerConfig } from './config.ts';

const config = loadSchedulerConfig();
const infra = createInfra('scheduler', config);
await runService(infra.log, async () => {
  await infra.ready();
  const scheduler = await buildScheduler({
    ...infra,
    pollMs: config.SCHEDULER_POLL_MS,
    batchSize: config.SCHEDULER_BATCH_SIZE,
    claimTimeoutMs: config.SCHEDULER_CLAIM_TIMEOUT_MS,
    instanceId: config.SCHEDULER_INSTANCE_ID,
    strandedEventAfterMs: config.SCHEDULER_STRANDED_EVENT_AFTER_MS,
  });
  infra.log.info('scheduler started');
  return { stop: async () => { await scheduler.stop(); await infra.close(); } };
});
