import { createInfra, runService } from '@hub/runtime';
import { buildScheduler } from './app.ts';
import { loadSchedulerConfig, retentionPolicyOf } from './config.ts';
import { startRetention } from './retention.ts';

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
  const retention = config.RETENTION_INTERVAL_MS > 0
    ? startRetention({
        prisma: infra.prisma, log: infra.log.child({ component: 'retention' }), policy: retentionPolicyOf(config),
        intervalMs: config.RETENTION_INTERVAL_MS, now: () => new Date(),
        options: { batchSize: config.RETENTION_BATCH_SIZE, pauseMs: config.RETENTION_BATCH_PAUSE_MS },
      })
    : null;
  infra.log.info({ retention: config.RETENTION_INTERVAL_MS > 0 ? retentionPolicyOf(config) : 'off' }, 'scheduler started');
  return { stop: async () => { await retention?.stop(); await scheduler.stop(); await infra.close(); } };
});
