import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { spawnService, type ServiceProcess } from './support/processes.ts';
import { postReminder } from './support/events.ts';

/**
 * kill -9 the sms-adapter at each step of a send, restart it, and check that every
 * delivery still ends final with exactly one provider send (invariant 2).
 */
let hub: TestHub;
let apiKey: string;
const children: ServiceProcess[] = [];

beforeAll(async () => {
  hub = await startHub({ external: ['sms-adapter'] });
  apiKey = await hub.apiKey(['events:write']);
});
afterAll(async () => {
  await Promise.allSettled(children.map((c) => c.kill()));
  await hub?.stop();
});

const publish = (eventId: string, userExternalId: string) => postReminder(hub, apiKey, eventId, userExternalId);

const STEPS = ['sms.before_send', 'sms.after_send', 'sms.before_commit'] as const;

describe.each(STEPS)('sms-adapter killed at %s', (step) => {
  it('ends every delivery final with exactly one send each', async () => {
    const users: string[] = [];
    for (let i = 0; i < 4; i++) users.push(await seedUser(hub.prisma, { externalId: `${step}-u${i}` }));
    const crashing = spawnService('sms-adapter', hub.envFor('sms-adapter', { HUB_FAILPOINTS: step }));
    children.push(crashing);
    for (let i = 0; i < 4; i++) await publish(`${step}-e${i}`, `${step}-u${i}`);
    const exit = await Promise.race([crashing.exited, new Promise<null>((r) => setTimeout(() => r(null), 45_000))]);
    expect(exit, `the adapter should have hit ${step}:\n${crashing.output()}`).toMatchObject({ signal: 'SIGKILL' });

    const restarted = spawnService('sms-adapter', hub.envFor('sms-adapter'));
    children.push(restarted);
    const deliveries = await waitFor(
      async () => {
        const rows = await hub.prisma.notificationDelivery.findMany({ where: { userId: { in: users } }, include: { smsMessages: true } });
        return rows.length === 4 && rows.every((d) => d.status === 'delivered') ? rows : null;
      },
      { timeoutMs: 45_000, what: `4 deliveries delivered after a crash at ${step}` },
    );
    await hub.sandbox.drain();
    for (const d of deliveries) {
      const sms = d.smsMessages[0]!;
      expect(sms.status).toBe('delivered');
      expect(hub.sandbox.sends().filter((s) => s.messageId === sms.id), `sends for ${d.id}`).toHaveLength(1);
    }
    await restarted.stop();
  });
});
