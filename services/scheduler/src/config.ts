import { baseEnv, metricsEnv, loadConfig, z } from '@hub/config';
import { DEFAULT_RETENTION, type RetentionPolicy } from './retention.ts';

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
  /** Retention sweep (retention.ts): how often (0: never), rows per statement, pause between statements. */
  RETENTION_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
  RETENTION_BATCH_SIZE: z.coerce.number().int().min(1).max(50_000).default(1_000),
  RETENTION_BATCH_PAUSE_MS: z.coerce.number().int().min(0).max(60_000).default(20),
  /** Retention windows in days (0: keep forever); defaults in retention.ts DEFAULT_RETENTION. */
  RETENTION_MESSAGES_DAYS: z.coerce.number().int().min(0).default(DEFAULT_RETENTION.messagesDays),
  RETENTION_DELIVERIES_DAYS: z.coerce.number().int().min(0).default(DEFAULT_RETENTION.deliveriesDays),
  RETENTION_INAPP_DAYS: z.coerce.number().int().min(0).default(DEFAULT_RETENTION.inappDays),
  RETENTION_CLICKS_DAYS: z.coerce.number().int().min(0).default(DEFAULT_RETENTION.clicksDays),
  RETENTION_JOBS_DAYS: z.coerce.number().int().min(0).default(DEFAULT_RETENTION.jobsDays),
  RETENTION_AUDIT_DAYS: z.coerce.number().int().min(0).default(DEFAULT_RETENTION.auditDays),
});

/** The retention windows of a loaded config. */
export function retentionPolicyOf(config: SchedulerConfig): RetentionPolicy {
  return {
    messagesDays: config.RETENTION_MESSAGES_DAYS,
    deliveriesDays: config.RETENTION_DELIVERIES_DAYS,
    inappDays: config.RETENTION_INAPP_DAYS,
    clicksDays: config.RETENTION_CLICKS_DAYS,
    jobsDays: config.RETENTION_JOBS_DAYS,
    auditDays: config.RETENTION_AUDIT_DAYS,
  };
}

export type SchedulerConfig = z.infer<typeof schedulerEnv>;
export const loadSchedulerConfig = (env: Record<string, string | undefined> = process.env) => loadConfig(schedulerEnv, env);
