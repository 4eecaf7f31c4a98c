import type { Admin } from 'kafkajs';
import type { Bus } from './bus.ts';

/**
 * Consumer lag as the broker sees it: each group's committed offsets against the latest
 * offsets (high watermarks) of its topic, per partition. Unlike the hub_kafka_consumer_lag
 * metric (reported by a consumer after each committed chunk, so silent when the consumer is
 * stuck or down), this is read from outside and also shows a group that stopped consuming.
 *
 * One admin client, connected on first use and kept; names are the unprefixed ones (the
 * bus adds the deployment's topic prefix to group ids and topics, as `consume` does).
 */

export interface GroupTopic {
  groupId: string;
  topic: string;
}

export interface PartitionLag {
  partition: number;
  /** The group's committed offset (the next message it will read), null when it has committed none. */
  committed: number | null;
  /** The partition's latest offset (high watermark). */
  latest: number;
  /** Messages not yet committed by the group: latest − committed (from the log start when nothing is committed). */
  lag: number;
}

export interface GroupLag extends GroupTopic {
  /** Sum over the partitions. */
  lag: number;
  partitions: PartitionLag[];
  /** The group's state (Stable, PreparingRebalance, Empty, Dead…) and member count; null when the broker did not say. */
  state: string | null;
  members: number | null;
}

const toNumber = (offset: string): number => Number(offset);

export class ConsumerLagReader {
  private admin: Promise<Admin> | null = null;

  constructor(private readonly bus: Bus) {}

  private connected(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.bus.admin();
      await admin.connect();
      return admin;
    })().catch((err: unknown) => {
      this.admin = null;
      throw err;
    });
    return this.admin;
  }

  /** Lag of every (group, topic) pair, in the order given. A failed broker call rejects (and reconnects next time). */
  async read(pairs: readonly GroupTopic[]): Promise<GroupLag[]> {
    const admin = await this.connected();
    try {
      const topics = [...new Set(pairs.map((p) => p.topic))];
      const latest = new Map(await Promise.all(topics.map(async (t) => [t, await admin.fetchTopicOffsets(this.bus.topic(t))] as const)));
      const groupIds = [...new Set(pairs.map((p) => p.groupId))];
      const described = await admin.describeGroups(groupIds.map((g) => this.bus.topic(g)));
      const states = new Map(described.groups.map((g) => [g.groupId, g]));
      return await Promise.all(pairs.map(async (p): Promise<GroupLag> => {
        const committed = await admin.fetchOffsets({ groupId: this.bus.topic(p.groupId), topics: [this.bus.topic(p.topic)] });
        const byPartition = new Map((committed[0]?.partitions ?? []).map((c) => [c.partition, toNumber(c.offset)]));
        const partitions = (latest.get(p.topic) ?? []).map((o): PartitionLag => {
          const c = byPartition.get(o.partition);
          const has = c !== undefined && c >= 0;
          const high = toNumber(o.high);
          return { partition: o.partition, committed: has ? c : null, latest: high, lag: Math.max(0, high - (has ? c : toNumber(o.low))) };
        }).sort((a, b) => a.partition - b.partition);
        const g = states.get(this.bus.topic(p.groupId));
        return {
          groupId: p.groupId, topic: p.topic, lag: partitions.reduce((n, x) => n + x.lag, 0), partitions,
          state: g ? g.state : null, members: g ? g.members.length : null,
        };
      }));
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => undefined);
  }
}
