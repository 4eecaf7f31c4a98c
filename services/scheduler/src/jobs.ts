import type { PrismaClient } from '@hub/db';

export interface ClaimedJob {
  id: string;
  kind: string;
  topic: string;
  key: string | null;
  payload: unknown;
  headers: Record<string, string>;
  due_at: Date;
  attempts: number;
}

/**
 * Claims up to `limit` due jobs. FOR UPDATE SKIP LOCKED lets several schedulers share the
 * table: a row is claimed by exactly one of them.
 */
export async function claimDueJobs(prisma: PrismaClient, instanceId: string, limit: number, now: Date): Promise<ClaimedJob[]> {
  return prisma.$queryRaw<ClaimedJob[]>`
    UPDATE scheduled_jobs j
       SET status = 'claimed', claimed_at = now(), claimed_by = ${instanceId}, attempts = j.attempts + 1, updated_at = now()
     WHERE j.id IN (
           SELECT id FROM scheduled_jobs
            WHERE status = 'pending' AND due_at <= ${now}
            ORDER BY due_at
            LIMIT ${limit}
            FOR UPDATE SKIP LOCKED)
    RETURNING j.id::text, j.kind, j.topic, j.key, j.payload, j.headers, j.due_at, j.attempts`;
}

/** Marks published jobs done; only rows this instance still holds. */
export async function completeJobs(prisma: PrismaClient, instanceId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return prisma.$executeRaw`
    UPDATE scheduled_jobs SET status = 'done', completed_at = now(), updated_at = now()
     WHERE id = ANY(${ids}::uuid[]) AND status = 'claimed' AND claimed_by = ${instanceId}`;
}

/**
 * Renews this instance's claim on jobs it still holds (claimed, not yet done or released):
 * a live instance slow to publish them (a Kafka outage) keeps them, so recoverStaleClaims in
 * another instance does not give them back and fire them a second time.
 */
export async function renewClaims(prisma: PrismaClient, instanceId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return prisma.$executeRaw`
    UPDATE scheduled_jobs SET claimed_at = now()
     WHERE id = ANY(${ids}::uuid[]) AND status = 'claimed' AND claimed_by = ${instanceId}`;
}

/**
 * Gives back jobs whose claimer died: claimed longer ago than the timeout. A live claimer
 * renews claimed_at (renewClaims) every timeout / 3 while it holds them.
 */
export async function recoverStaleClaims(prisma: PrismaClient, timeoutMs: number): Promise<number> {
  return prisma.$executeRaw`
    UPDATE scheduled_jobs SET status = 'pending', claimed_by = NULL, updated_at = now()
     WHERE status = 'claimed' AND claimed_at < now() - make_interval(secs => ${timeoutMs / 1000})`;
}

/** Releases a claim after a failed publish so the job is tried again soon. */
export async function releaseJobs(prisma: PrismaClient, instanceId: string, ids: string[], error: string): Promise<void> {
  if (ids.length === 0) return;
  await prisma.$executeRaw`
    UPDATE scheduled_jobs SET status = 'pending', claimed_by = NULL, last_error = ${error}, updated_at = now()
     WHERE id = ANY(${ids}::uuid[]) AND claimed_by = ${instanceId}`;
}
