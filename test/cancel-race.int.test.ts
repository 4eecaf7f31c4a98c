import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PrismaClient } from '@hub/db';
import { createTestPrisma } from '@hub/testkit';
import { createFirstAttempts } from '../services/sms-adapter/src/hot-path.ts';
import { cancelDeliveryTx, LostRace } from '../services/gateway/src/routes/delivery-cancel.ts';

/**
 * An admin cancel and the sms-adapter's first attempt race for one delivery: whichever
 * commits first wins, and the other changes nothing — never a "cancelled" delivery whose
 * SMS goes out, never a cancel that silently loses.
 */
let prisma: PrismaClient;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ prisma, close } = await createTestPrisma(inject('baseDatabaseUrl'), inject('templateDatabase'), 4));
});
afterAll(async () => {
  await close?.();
});

let seq = 0;
async function waitingDelivery() {
  const user = await prisma.user.create({ data: { externalId: `race-${++seq}` } });
  await prisma.notificationEvent.create({ data: { id: `race-ev-${seq}`, eventType: 'task.reminder', payload: {}, occurredAt: new Date() } });
  const d = await prisma.notificationDelivery.create({ data: { eventId: `race-ev-${seq}`, userId: user.id, channel: 'sms' } });
  return { userId: user.id, deliveryId: d.id };
}

const firstAttempt = (d: { userId: string; deliveryId: string }) => createFirstAttempts(prisma, [{
  deliveryId: d.deliveryId, userId: d.userId, phoneNumber: '+15005550006', content: 'x', templateId: null, templateKey: null, templateVars: null,
  priority: 'normal', segments: 1, encoding: 'GSM-7', maxAttempts: 3, links: [], now: new Date(),
}]);

const read = (id: string) => prisma.notificationDelivery.findUniqueOrThrow({ where: { id }, include: { smsMessages: true } });

describe('cancel against the first attempt', () => {
  it('the attempt began after the cancel read the delivery: the cancel loses (409), the delivery is not marked cancelled', async () => {
    const d = await waitingDelivery();
    const seenByCancel = await read(d.deliveryId); // pending, no message yet
    expect((await firstAttempt(d))[0]).not.toBeNull();
    await expect(prisma.$transaction((tx) => cancelDeliveryTx(tx, seenByCancel, 'cancelled_by_admin'))).rejects.toBeInstanceOf(LostRace);
    expect((await read(d.deliveryId)).status).toBe('pending');
  });

  it('the cancel committed first: the attempt is not created (nothing to send)', async () => {
    const d = await waitingDelivery();
    await prisma.$transaction(async (tx) => cancelDeliveryTx(tx, await read(d.deliveryId), 'cancelled_by_admin'));
    expect((await firstAttempt(d))[0]).toBeNull();
    const after = await read(d.deliveryId);
    expect(after.status).toBe('cancelled');
    expect(after.smsMessages).toHaveLength(0);
  });

  it('both at once, many times: exactly one of them wins each time', async () => {
    for (let i = 0; i < 20; i++) {
      const d = await waitingDelivery();
      const seen = await read(d.deliveryId);
      const [attempt, cancel] = await Promise.allSettled([firstAttempt(d), prisma.$transaction((tx) => cancelDeliveryTx(tx, seen, 'cancelled_by_admin'))]);
      const began = attempt.status === 'fulfilled' && attempt.value[0] !== null;
      const cancelled = cancel.status === 'fulfilled';
      expect(began !== cancelled, `round ${i}: began ${began}, cancelled ${cancelled}`).toBe(true);
      const after = await read(d.deliveryId);
      expect(after.status).toBe(cancelled ? 'cancelled' : 'pending');
      expect(after.smsMessages).toHaveLength(began ? 1 : 0);
    }
  });
});
