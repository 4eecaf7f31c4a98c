import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient } from '@hub/db';
import type { Logger } from '@hub/logger';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { decodeCursor, encodeCursor, pageQuery } from './pagination.ts';
import { authErrors, isoDateTime } from './schemas.ts';

/**
 * The audit trail of admin changes (issue 16, item 8): every successful request to a route
 * that needs `admin:write` — template edits, preference changes, opt-outs / opt-ins,
 * resends, cancels, subscriptions, addresses… — is recorded in admin_audit_events with who
 * (the API key's name and id) and what: for templates and SMS preferences the row before and
 * after and the fields that changed, for the others the request body (secret-looking fields
 * redacted). API keys, made and revoked by the CLI, are recorded by a trigger on api_keys.
 *
 * The row is written when the response is sent, after the change committed: a crash in
 * between loses that audit row (never the change). GET /v1/audit queries the trail.
 */

type Snapshot = Record<string, unknown> | null;

interface Pending {
  action: string;
  targetType: string;
  targetId: string | null;
  before?: Snapshot;
  load?: () => Promise<Snapshot>;
}

declare module 'fastify' {
  interface FastifyRequest {
    hubAudit?: Pending;
  }
}

const REDACT = /secret|token|password|code$/i;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redact(v, depth + 1));
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, REDACT.test(k) ? '[redacted]' : redact(v, depth + 1)]));
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);

/** What the resource of a route is, and how to read it before and after (when known). */
function targetOf(prisma: PrismaClient, request: FastifyRequest, route: string): Omit<Pending, 'action' | 'before'> {
  const params = (request.params ?? {}) as Record<string, unknown>;
  const body = (request.body ?? {}) as Record<string, unknown>;
  if (route.startsWith('/v1/templates')) {
    const key = str(params.key) ?? str(body.key);
    return {
      targetType: 'sms_template', targetId: key,
      load: key ? async () => (await prisma.smsTemplate.findUnique({
        where: { templateKey: key },
        select: { templateKey: true, name: true, description: true, messageTemplate: true, requiredVars: true, maxLength: true, isActive: true },
      })) : undefined,
    };
  }
  const externalId = str(params.externalId);
  if (route.startsWith('/v1/users/:externalId/sms-preferences')) {
    return {
      targetType: 'sms_preferences', targetId: externalId,
      load: externalId ? async () => {
        const u = await prisma.user.findUnique({ where: { externalId }, select: { smsPreferences: { omit: { id: true, userId: true, createdAt: true, updatedAt: true } } } });
        return (u?.smsPreferences as Snapshot | undefined) ?? null;
      } : undefined,
    };
  }
  if (route.startsWith('/v1/deliveries/:id')) return { targetType: 'delivery', targetId: str(params.id) };
  if (route.startsWith('/v1/events/:id')) return { targetType: 'event', targetId: str(params.id) };
  if (externalId) return { targetType: 'user', targetId: externalId };
  const first = Object.values(params).find((v) => typeof v === 'string');
  return { targetType: route.split('/')[2] ?? 'other', targetId: str(first) };
}

function changedFields(before: Snapshot, after: Snapshot): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...keys].filter((k) => JSON.stringify(before?.[k] ?? null) !== JSON.stringify(after?.[k] ?? null)).sort();
}

export function registerAuditTrail(app: FastifyInstance, deps: { prisma: PrismaClient; log: Logger }): void {
  let adminWrites: Set<string> | null = null;
  const isAdminWrite = (method: string, url: string) => {
    adminWrites ??= new Set(app.routeTable.filter((r) => r.scopes?.includes('admin:write')).map((r) => `${r.method} ${r.url}`));
    return adminWrites.has(`${method} ${url}`);
  };

  app.addHook('preHandler', async (request) => {
    const route = request.routeOptions.url;
    if (!route || request.method === 'GET' || !isAdminWrite(request.method, route)) return;
    const target = targetOf(deps.prisma, request, route);
    request.hubAudit = { action: `${request.method} ${route}`, ...target, ...(target.load ? { before: await target.load() } : {}) };
  });

  app.addHook('onResponse', async (request, reply) => {
    const pending = request.hubAudit;
    if (!pending || reply.statusCode >= 400) return;
    try {
      let changes: Record<string, unknown>;
      if (pending.load) {
        const after = await pending.load();
        changes = { before: pending.before ?? null, after, changed: changedFields(pending.before ?? null, after) };
      } else {
        changes = { body: redact(request.body ?? null) };
      }
      await deps.prisma.$executeRaw`
        INSERT INTO admin_audit_events (actor, actor_key_id, action, target_type, target_id, status_code, changes, request_id)
        VALUES (${request.apiKey?.name ?? 'unknown'}, ${request.apiKey?.id ?? null}::uuid, ${pending.action}, ${pending.targetType}, ${pending.targetId},
                ${reply.statusCode}, ${JSON.stringify(changes)}::jsonb, ${String(request.id).slice(0, 100)})`;
    } catch (err) {
      deps.log.error({ err, action: pending.action, target: pending.targetId }, 'audit row not written');
    }
  });

  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/v1/audit', {
    onRequest: requireScope(deps.prisma, 'admin:read'),
    schema: {
      tags: ['audit'], summary: 'The audit trail of admin changes (who, what, before/after), newest first',
      querystring: z.object({
        actor: z.string().max(100).optional().describe('the API key name (cli:<user> for keys made by the CLI)'),
        action: z.string().max(200).optional().describe('e.g. "PUT /v1/templates/:key", api_key.revoked'),
        targetType: z.string().max(50).optional().describe('sms_template, sms_preferences, delivery, event, user, api_key…'),
        targetId: z.string().max(200).optional(),
        from: isoDateTime.optional(), to: isoDateTime.optional(),
        ...pageQuery,
      }),
      response: {
        200: z.object({
          items: z.array(z.object({
            id: z.string(), at: z.string(), actor: z.string(), actorKeyId: z.string().nullable(), action: z.string(),
            targetType: z.string(), targetId: z.string().nullable(), statusCode: z.number().int().nullable(), changes: z.unknown(),
          })),
          nextCursor: z.string().nullable(),
        }),
        ...authErrors,
      },
    },
  }, async (request, reply) => {
    const q = request.query;
    const cursor = q.cursor ? decodeCursor(q.cursor) : null;
    if (q.cursor && !cursor) return sendError(reply, 400, 'invalid_cursor', 'the cursor is not valid');
    const rows = await deps.prisma.$queryRaw<{ id: string; at: Date; actor: string; actor_key_id: string | null; action: string; target_type: string; target_id: string | null; status_code: number | null; changes: unknown }[]>`
      SELECT id::text, at, actor, actor_key_id::text, action, target_type, target_id, status_code, changes FROM admin_audit_events
       WHERE (${q.actor ?? null}::text IS NULL OR actor = ${q.actor ?? null})
         AND (${q.action ?? null}::text IS NULL OR action = ${q.action ?? null})
         AND (${q.targetType ?? null}::text IS NULL OR target_type = ${q.targetType ?? null})
         AND (${q.targetId ?? null}::text IS NULL OR target_id = ${q.targetId ?? null})
         AND (${q.from ? new Date(q.from) : null}::timestamptz IS NULL OR at >= ${q.from ? new Date(q.from) : null}::timestamptz)
         AND (${q.to ? new Date(q.to) : null}::timestamptz IS NULL OR at < ${q.to ? new Date(q.to) : null}::timestamptz)
         AND (${cursor?.createdAt ?? null}::timestamptz IS NULL OR (at, id) < (${cursor?.createdAt ?? null}::timestamptz, ${cursor?.id ?? null}::uuid))
       ORDER BY at DESC, id DESC
       LIMIT ${q.limit + 1}`;
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((a) => ({
        id: a.id, at: a.at.toISOString(), actor: a.actor, actorKeyId: a.actor_key_id, action: a.action,
        targetType: a.target_type, targetId: a.target_id, statusCode: a.status_code, changes: a.changes,
      })),
      nextCursor: rows.length > q.limit && last ? encodeCursor({ createdAt: last.at, id: last.id }) : null,
    };
  });
}
