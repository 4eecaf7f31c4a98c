import { expect } from 'vitest';
import type { TestHub } from './hub.ts';

/** POSTs a task.reminder for one recipient through the gateway and expects 202. */
export async function postReminder(hub: TestHub, apiKey: string, eventId: string, targetUserId: string): Promise<void> {
  const res = await hub.gateway.inject({
    method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${apiKey}` },
    payload: { id: eventId, type: 'task.reminder', targetUserId, payload: { task_name: eventId, due_time: 'soon' } },
  });
  expect(res.statusCode).toBe(202);
}

/** Provider sends per hub message id, as the sandbox recorded them. */
export function sendCounts(hub: TestHub): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of hub.sandbox.sends()) if (s.messageId) counts.set(s.messageId, (counts.get(s.messageId) ?? 0) + 1);
  return counts;
}
