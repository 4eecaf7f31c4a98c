/**
 * Runs `fn` over items grouped by key: one group's items strictly in order, different groups
 * concurrently, at most `concurrency` groups at a time. For a consumer batch whose messages
 * must keep their order per entity (a user, a message) but not across entities.
 */
export async function forEachInGroups<T>(items: readonly T[], keyOf: (item: T) => string, concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  const queue = [...groups.values()];
  const worker = async () => {
    for (let list = queue.shift(); list; list = queue.shift()) {
      for (const item of list) await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker));
}
