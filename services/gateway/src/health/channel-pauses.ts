import type { PrismaClient } from '@hub/db';
import type { CheckStatus } from './verdict.ts';

/**
 * Channels paused by a provider-wide failure (channel-kit's ChannelGate: bad credentials, an
 * inactive account, an unknown sender, a rate limit, the provider unreachable), from the rows
 * the adapters keep in channel_pauses while they hold deliveries. Any live pause is red: that
 * channel sends nothing until a probe succeeds. A row whose next probe is more than
 * STALE_AFTER_MS overdue belongs to an instance that died while paused and is left out.
 * Only closed codes are shown (/health is unauthenticated; the reason text is in the logs).
 */
export interface ChannelPausesCheck {
  status: CheckStatus;
  paused: { channel: string; code: string; since: string; nextProbeAt: string; heldRequests: number; instances: number }[];
  error?: 'query_failed' | 'timeout';
}

export const PAUSE_STALE_AFTER_MS = 10 * 60_000;

interface Row { channel: string; code: string; since: Date; next_probe_at: Date; held: number; instances: number }

export async function channelPauses(prisma: PrismaClient, now: Date): Promise<ChannelPausesCheck['paused']> {
  const rows = await prisma.$queryRaw<Row[]>`
    SELECT channel, (array_agg(code ORDER BY updated_at DESC))[1] AS code, min(paused_since) AS since,
           max(next_probe_at) AS next_probe_at, sum(held_requests)::int AS held, count(*)::int AS instances
      FROM channel_pauses
     WHERE next_probe_at > ${new Date(now.getTime() - PAUSE_STALE_AFTER_MS)}
     GROUP BY channel
     ORDER BY channel`;
  return rows.map((r) => ({ channel: r.channel, code: r.code, since: r.since.toISOString(), nextProbeAt: r.next_probe_at.toISOString(), heldRequests: r.held, instances: r.instances }));
}
