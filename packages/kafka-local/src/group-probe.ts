import type { Admin } from 'kafkajs';

/** Java's String.hashCode, which Kafka uses to place a group on a __consumer_offsets partition. */
function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** The __consumer_offsets partition of `groupId` (Utils.abs(hashCode) % partitions). */
export function offsetsPartitionOf(groupId: string, partitions: number): number {
  const h = javaHashCode(groupId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

const probeGroups = new Map<number, string[]>();

/** One group id per __consumer_offsets partition. */
export function probeGroupIds(partitions: number): string[] {
  const cached = probeGroups.get(partitions);
  if (cached) return cached;
  const byPartition = new Map<number, string>();
  for (let i = 0; byPartition.size < partitions; i++) {
    const id = `kafka-local-probe-${i}`;
    const p = offsetsPartitionOf(id, partitions);
    if (!byPartition.has(p)) byPartition.set(p, id);
  }
  const ids = [...byPartition.values()];
  probeGroups.set(partitions, ids);
  return ids;
}

/**
 * After a restart the group coordinator loads __consumer_offsets partition by partition
 * and answers NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS meanwhile (kafkajs's admin
 * does not retry those). Resolves when an offset fetch works for every partition; throws
 * otherwise. A broker without __consumer_offsets yet has nothing to load.
 */
export async function assertGroupCoordinatorsLoaded(admin: Admin, topics: string[]): Promise<void> {
  if (!topics.includes('__consumer_offsets')) return;
  const metadata = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
  const partitions = metadata.topics[0]?.partitions.length ?? 0;
  if (partitions === 0) throw new Error('__consumer_offsets has no partitions yet');
  await Promise.all(probeGroupIds(partitions).map((groupId) => admin.fetchOffsets({ groupId, topics: [] })));
}
