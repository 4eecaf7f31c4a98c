import type { FastifyInstance } from 'fastify';
import type { RecipientDefaults } from '../recipient-defaults.ts';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordOptIn, recordOptOut, type PrismaClient, type UserSmsPreferences } from '@hub/db';
import type { Clock } from '@hub/contracts';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { authErrors, errorSchema, hhmmSchema, iso, timezoneSchema, userParams } from './schemas.ts';

/**
 * SMS preferences of a recipient. The phone number is not writable here: it is set only by a
 * successful verification (routes/phone-verification.ts). Quiet hours are both set or both
 * null (checked on the merged result, so one end can be moved alone).
 */

export const MAX_DAILY_SMS_LIMIT = 100;

const patchBody = z.strictObject({
  taskReminders: z.boolean().optional(),
  dailyBriefSms: z.boolean().optional(),
  urgentAlerts: z.boolean().optional(),
  quietHoursStart: hhmmSchema.nullable().optional(),
  quietHoursEnd: hhmmSchema.nullable().optional(),
  timezone: timezoneSchema.nullable().optional().describe("quiet hours and daily cap zone; null = the user's timezone"),
  dailySmsLimit: z.number().int().min(0).max(MAX_DAILY_SMS_LIMIT).optional(),
}).refine((b) => Object.keys(b).length > 0, 'nothing to update');

const prefsView = z.object({
  phoneNumber: z.string().nullable(),
  phoneVerified: z.boolean(),
  phoneVerifiedAt: z.string().nullable(),
  taskReminders: z.boolean(),
  dailyBriefSms: z.boolean(),
  urgentAlerts: z.boolean(),
  quietHoursStart: z.string().nullable(),
  quietHoursEnd: z.string().nullable(),
  timezone: z.string().nullable(),
  dailySmsLimit: z.number().int(),
  optedOut: z.boolean(),
  optedOutAt: z.string().nullable(),
  optOutReason: z.string().nullable(),
});

const DEFAULTS = {
  phoneNumber: null, phoneVerified: false, phoneVerifiedAt: null, taskReminders: true, dailyBriefSms: true, urgentAlerts: true,
  quietHoursStart: null, quietHoursEnd: null, timezone: null, dailySmsLimit: 10, optedOut: false, optedOutAt: null, optOutReason: null,
} as const;

/** The stored preferences, or — none stored yet — what the gateway would create (the recipient defaults). */
function toPrefsView(p: UserSmsPreferences | null, defaults?: RecipientDefaults): z.infer<typeof prefsView> {
  if (!p) return { ...DEFAULTS, ...defaults };
  return {
    phoneNumber: p.phoneNumber, phoneVerified: p.phoneVerified, phoneVerifiedAt: iso(p.phoneVerifiedAt),
    taskReminders: p.taskReminders, dailyBriefSms: p.dailyBriefSms, urgentAlerts: p.urgentAlerts,
    quietHoursStart: p.quietHoursStart, quietHoursEnd: p.quietHoursEnd, timezone: p.timezone, dailySmsLimit: p.dailySmsLimit,
    optedOut: p.optedOut, optedOutAt: iso(p.optedOutAt), optOutReason: p.optOutReason,
  };
}

/** Quiet hours after a patch: both or neither, and not an empty window. Null when fine, else why not. */
export function quietHoursProblem(start: string | null, end: string | null): string | null {
  if ((start === null) !== (end === null)) return 'quietHoursStart and quietHoursEnd must be set together (or both null)';
  if (start !== null && start === end) return 'quiet hours cannot start and end at the same time';
  return null;
}

export function registerSmsPreferenceRoutes(app: FastifyInstance, deps: { prisma: PrismaClient; clock: Clock }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const read = requireScope(deps.prisma, 'admin:read');
  const write = requireScope(deps.prisma, 'admin:write');
  const userWithPrefs = (externalId: string) => deps.prisma.user.findUnique({ where: { externalId }, include: { smsPreferences: true } });
  const base = '/v1/users/:externalId/sms-preferences';

  r.get(base, {
    onRequest: read,
    schema: { tags: ['recipients'], summary: "A recipient's SMS preferences (defaults when none were stored)", params: userParams, response: { 200: prefsView, 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const user = await userWithPrefs(request.params.externalId);
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    return toPrefsView(user.smsPreferences, app.recipientDefaults);
  });

  r.patch(base, {
    onRequest: write,
    schema: {
      tags: ['recipients'], summary: 'Update SMS preferences (toggles, quiet hours HH:MM, IANA zone, daily cap 0–100); not the phone number',
      params: userParams, body: patchBody, response: { 200: prefsView, 404: errorSchema, ...authErrors },
    },
  }, async (request, reply) => {
    const user = await userWithPrefs(request.params.externalId);
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    const current = toPrefsView(user.smsPreferences, app.recipientDefaults);
    const start = request.body.quietHoursStart === undefined ? current.quietHoursStart : request.body.quietHoursStart;
    const end = request.body.quietHoursEnd === undefined ? current.quietHoursEnd : request.body.quietHoursEnd;
    const problem = quietHoursProblem(start, end);
    if (problem) return sendError(reply, 400, 'invalid_quiet_hours', problem, { fields: [{ field: 'body.quietHoursStart', message: problem }] });
    const prefs = await deps.prisma.userSmsPreferences.upsert({
      where: { userId: user.id },
      create: { userId: user.id, ...app.recipientDefaults, ...request.body },
      update: request.body,
    });
    return toPrefsView(prefs);
  });

  const optBody = z.strictObject({ reason: z.string().min(1).max(100).optional() });
  for (const action of ['opt-out', 'opt-in'] as const) {
    r.post(`${base}/${action}`, {
      onRequest: write,
      schema: {
        tags: ['recipients'],
        summary: action === 'opt-out'
          ? 'Opt a recipient out of SMS (audited; waiting deliveries are cancelled)'
          : 'Opt a recipient back in to SMS (audited)',
        params: userParams, body: optBody.nullish(),
        response: { 200: z.object({ optedOut: z.boolean(), cancelledDeliveries: z.number().int() }), 404: errorSchema, 409: errorSchema, ...authErrors },
      },
    }, async (request, reply) => {
      const user = await userWithPrefs(request.params.externalId);
      if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
      const phone = user.smsPreferences?.phoneNumber;
      if (!phone) return sendError(reply, 409, 'no_phone_number', 'the user has no phone number to opt out or in');
      const change = {
        userId: user.id, phoneNumber: phone, source: 'admin' as const, keyword: null, messageSid: null,
        actor: request.apiKey?.name ?? 'api', at: deps.clock.now(),
        ...(request.body?.reason ? { reason: request.body.reason } : { reason: 'admin' }),
      };
      if (action === 'opt-out') {
        const cancelled = await deps.prisma.$transaction((tx) => recordOptOut(tx, change));
        return { optedOut: true, cancelledDeliveries: cancelled };
      }
      await deps.prisma.$transaction((tx) => recordOptIn(tx, change));
      return { optedOut: false, cancelledDeliveries: 0 };
    });
  }
}
