import { randomUUID } from 'node:crypto';
import type { PrismaClient, Prisma } from '@hub/db';
import { describeError, type Bus, type RunningConsumer } from '@hub/bus';
import { scheduleRequestSchema, systemClock, TOPICS, type Clock } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import { failpoint } from '@hub/runtime';
import { claimDueJobs, completeJobs, recoverStaleClaims, releaseJobs, renewClaims } from './jobs.ts';
import { publishStrandedEvents } from './stranded.ts';

export interface SchedulerDeps {
  bus: Bus;
  prisma: PrismaClient;
  log: Logger;
  pollMs?: number;
  batchSize?: number;
  claimTimeoutMs?: number;
  instanceId?: string;
  /** Decides what is due (tests move it by hand). */
  clock?: Clock;
  /** Events stored but unpublished for this long are published by the scheduler (default 60 s). */
  strandedEventAfterMs?: number;
}

export interface SchedulerService {
  ready: Promise<void>;
  /** Runs one claim-publish-complete cycle; returns how many jobs fired. */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Durable delayed work. Due rows of scheduled_jobs are claimed in batches, published to
 * their target topic and marked done. The same table is the hub's outbox: a row due now is
 * a Kafka message another service committed in its own DB transaction.
 */
export async function buildScheduler(deps: SchedulerDeps): Promise<SchedulerService> {
  const instanceId = deps.instanceId ?? `scheduler-${randomUUID().slice(0, 8)}`;
  const pollMs = deps.pollMs ?? 250;
  const batchSize = deps.batchSize ?? 500;
  const claimTimeoutMs = deps.claimTimeoutMs ?? 30_000;
  const log = deps.log.child({ instanceId });

  // Jobs claimed by this instance and not yet done or released. While it holds any, their
  // claim is renewed every claimTimeoutMs / 3, so a publish slower than the claim timeout (a
  // Kafka outage: the producer retries for up to a minute) does not let another instance
  // recover and fire them again; only a claimer that stopped renewing (died) loses them.
  const held = new Set<string>();
  const renewEveryMs = Math.max(100, Math.floor(claimTimeoutMs / 3));
  const renewal = setInterval(() => {
    if (held.size === 0) return;
    renewClaims(deps.prisma, instanceId, [...held]).catch((err: unknown) => log.warn({ err: describeError(err), jobs: held.size }, 'renewing job claims failed'));
  }, renewEveryMs);
  renewal.unref();

  const tick = async (): Promise<number> => {
    let fired = 0;
    for (;;) {
      const jobs = await claimDueJobs(deps.prisma, instanceId, batchSize, (deps.clock ?? systemClock).now());
      if (jobs.length === 0) return fired;
      for (const job of jobs) held.add(job.id);
      try {
        failpoint('scheduler.after_claim');
        const byTopic = new Map<string, typeof jobs>();
        for (const job of jobs) byTopic.set(job.topic, [...(byTopic.get(job.topic) ?? []), job]);
        for (const [topic, group] of byTopic) {
          try {
            await deps.bus.sendRaw(
              topic,
              group.map((job) => ({ key: job.key, value: JSON.stringify(job.payload), headers: { ...job.headers, 'x-scheduled-job-id': job.id } })),
            );
            await completeJobs(deps.prisma, instanceId, group.map((j) => j.id));
            fired += group.length;
          } catch (err) {
            log.error({ err: describeError(err), topic, jobs: group.length }, 'publishing due jobs failed; released for retry');
            await releaseJobs(deps.prisma, instanceId, group.map((j) => j.id), describeError(err)).catch(() => undefined);
            throw err;
          } finally {
            for (const job of group) held.delete(job.id);
          }
        }
      } catch (err) {
        // Groups not reached are released too: they go back to pending for the next cycle.
        const left = jobs.filter((j) => held.has(j.id)).map((j) => j.id);
        if (left.length > 0) await releaseJobs(deps.prisma, instanceId, left, describeError(err)).catch(() => undefined);
        for (const id of left) held.delete(id);
        throw err;
      }
      if (jobs.length < batchSize) return fired;
    }
  };

  let running = true;
  let lastRecovery = 0;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const loop = () => {
    if (!running) return;
    current = (async () => {
      try {
        if (Date.now() - lastRecovery > claimTimeoutMs / 3) {
          lastRecovery = Date.now();
          const recovered = await recoverStaleClaims(deps.prisma, claimTimeoutMs);
          if (recovered > 0) log.warn({ recovered }, 'recovered jobs claimed by a stopped scheduler');
          const stranded = await publishStrandedEvents(deps.prisma, deps.bus, deps.strandedEventAfterMs ?? 60_000);
          if (stranded > 0) log.warn({ stranded }, 'published events their gateway stored but never published');
        }
        const fired = await tick();
        if (fired > 0) log.debug({ fired }, 'due jobs published');
      } catch (err) {
        log.warn({ err: describeError(err) }, 'scheduler cycle failed; will retry');
      }
    })();
    void current.finally(() => {
      if (running) timer = setTimeout(loop, pollMs);
    });
  };
  loop();

  // Other services that cannot write the table ask through notify.schedule.v1.
  const consumer: RunningConsumer = await deps.bus.consume({
    groupId: 'scheduler',
    topic: TOPICS.schedule,
    schema: scheduleRequestSchema,
    handleBatch: async (messages) => {
      await deps.prisma.scheduledJob.createMany({
        data: messages.map(({ value, headers }) => ({
          kind: value.kind,
          dueAt: new Date(value.dueAt),
          topic: deps.bus.topic(value.topic),
          key: value.key,
          payload: value.payload as Prisma.InputJsonValue,
          headers,
          refId: value.refId ?? null,
          dedupeKey: value.dedupeKey ?? null,
        })),
        skipDuplicates: true,
      });
    },
  });

  return {
    ready: consumer.ready,
    tick,
    stop: async () => {
      running = false;
      if (timer) clearTimeout(timer);
      await current;
      clearInterval(renewal);
      await consumer.stop();
    },
  };
}
