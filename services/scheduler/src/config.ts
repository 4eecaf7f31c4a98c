import { baseEnv, metricsEnv, loadConfig, z } from '@hub/config';

export const schedulerEnv = z.object({
  ...baseEnv,
  ...metricsEnv,
  /** How often due jobs are looked for (the scheduler only polls: there is no NOTIFY wake-up). */
  SCHEDULER_POLL_MS: z.coerce.number().int().min(20).max(10_000).default(250),
  SCHEDULER_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(500),
  /**
   * A job whose claim was not renewed for this long is given back (its claimer died). A live
   * scheduler renews its claims every third of this while it publishes, however long that takes.
   */
  SCHEDULER_CLAIM_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(30_000),
  SCHEDULER_INSTANCE_ID: z.string().optional(),
  /** Events the gateway stored but did not publish (it died in between) are published after this long. */
  SCHEDULER_STRANDED_EVENT_AFTER_MS: z.coerce.number().int().min(1_000).default(60_000),
});

export type SchedulerConfig = z.infer<typeof schedulerEnv>;
export const loadSchedulerConfig = (env: Record<string, string | undefined> = process.env) => loadConfig(schedulerEnv, env);
