import type { FastifyInstance } from 'fastify';
import { balanceString, type SandboxContext } from '../context.ts';
import { accountSnapshot } from './account.ts';
import { CONTROL_PREFIX } from '../faults.ts';
import { faultsBodySchema, scenarioBodySchema, type ApiFaults, type Scenario } from '../scenario.ts';
import type { SandboxStatus } from '../store.ts';

export interface ControlHooks {
  reset(): void;
  drain(): Promise<void>;
  stats(): unknown;
}

const CALLBACK_STATUSES: SandboxStatus[] = ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'canceled', 'accepted', 'scheduled'];

/**
 * Control API for another process (the local start command, the benchmark, a manual test).
 * Unauthenticated: the sandbox listens on 127.0.0.1 by default.
 */
export function controlRoutes(app: FastifyInstance, ctx: SandboxContext, hooks: ControlHooks): void {
  app.get<{ Querystring: { to?: string; mid?: string; limit?: string } }>(`${CONTROL_PREFIX}/sends`, async (request) => {
    const { to, mid } = request.query;
    const limit = Math.max(0, Number(request.query.limit ?? 1000)) || 0;
    const matching = ctx.store.sent.filter((s) => (to === undefined || s.to === to) && (mid === undefined || s.messageId === mid));
    return { count: matching.length, sends: limit === 0 ? [] : matching.slice(-limit) };
  });

  app.get(`${CONTROL_PREFIX}/stats`, async () => hooks.stats());

  app.get(`${CONTROL_PREFIX}/scenario`, async () => ctx.scenarios.entries());

  app.post<{ Body: Partial<Scenario> & { to?: string } }>(`${CONTROL_PREFIX}/scenario`, { schema: { body: scenarioBodySchema } }, async (request) => {
    const { to = '*', ...scenario } = request.body;
    ctx.scenarios.set(to, scenario);
    return { to, scenario: ctx.scenarios.for(to) };
  });

  app.post<{ Body: Partial<ApiFaults> }>(`${CONTROL_PREFIX}/faults`, { schema: { body: faultsBodySchema } }, async (request) => {
    ctx.guard.set(request.body);
    return ctx.guard.faults;
  });

  app.get(`${CONTROL_PREFIX}/account`, async () => accountSnapshot(ctx));

  // The balance the Balance API answers and the Messaging Services that exist (null: any MG sid).
  app.post<{ Body: { balance?: number | string; currency?: string; messagingServices?: string[] | null } }>(`${CONTROL_PREFIX}/account`, {
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          balance: { anyOf: [{ type: 'number' }, { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$' }] },
          currency: { type: 'string', pattern: '^[A-Za-z]{3}$' },
          messagingServices: { anyOf: [{ type: 'null' }, { type: 'array', items: { type: 'string', pattern: '^MG[0-9a-fA-F]{32}$' } }] },
        },
      },
    },
  }, async (request) => {
    const { balance, currency, messagingServices } = request.body;
    if (balance !== undefined) ctx.account.balance = balanceString(balance);
    if (currency !== undefined) ctx.account.currency = currency.toUpperCase();
    if (messagingServices !== undefined) ctx.account.messagingServices = messagingServices === null ? null : new Set(messagingServices);
    return accountSnapshot(ctx);
  });

  app.post(`${CONTROL_PREFIX}/reset`, async () => {
    hooks.reset();
    return { ok: true };
  });

  app.post(`${CONTROL_PREFIX}/drain`, async () => {
    await hooks.drain();
    return { ok: true };
  });

  app.post<{ Params: { sid: string }; Body: { status: SandboxStatus; errorCode?: number | null } }>(
    `${CONTROL_PREFIX}/messages/:sid/callback`,
    {
      schema: {
        body: {
          type: 'object',
          required: ['status'],
          additionalProperties: false,
          properties: { status: { type: 'string', enum: CALLBACK_STATUSES }, errorCode: { type: ['integer', 'null'] } },
        },
      },
    },
    async (request, reply) => {
      const m = ctx.store.get(request.params.sid);
      if (!m?.statusCallback) return reply.code(404).send({ error: `no message ${request.params.sid} with a StatusCallback` });
      const receiverStatus = await ctx.lifecycle.postNow(m, request.body.status, request.body.errorCode ?? null);
      return { posted: receiverStatus !== null, receiverStatus };
    },
  );
}
