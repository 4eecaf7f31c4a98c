import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient, User, UserEmailPreferences, UserSmsPreferences } from '@hub/db';
import { CHANNELS, eventTypeSchema } from '@hub/contracts';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { channelSummaries, type ChannelAddressRow } from '../email/channels.ts';
import { authErrors, errorSchema, iso, localeSchema, timezoneSchema, userParams } from './schemas.ts';

/** Recipients: users (timezone, locale) and their subscriptions per event type. */

const userBody = z.strictObject({
  timezone: timezoneSchema.default('UTC'),
  locale: localeSchema.default('en-US'),
});

const userView = z.object({
  externalId: z.string(),
  timezone: z.string(),
  locale: z.string(),
  sms: z.object({ phoneNumber: z.string().nullable(), phoneVerified: z.boolean(), optedOut: z.boolean() }).nullable(),
  email: z.object({
    address: z.string().nullable(), verified: z.boolean(), optedOut: z.boolean(), undeliverable: z.boolean(), undeliverableReason: z.string().nullable(),
  }).nullable(),
  channels: z.array(z.object({
    channel: z.string(), address: z.string().nullable(), verified: z.boolean(), available: z.boolean(),
    reason: z.string().nullable().describe('why a delivery on this channel would be skipped now (the router\'s rule); null when available'),
  })).describe('every channel of the registry'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const subscriptionParams = userParams.extend({ eventType: eventTypeSchema });
const subscriptionBody = z.strictObject({
  channels: z.array(z.enum(CHANNELS)).min(1).max(CHANNELS.length).refine((c) => new Set(c).size === c.length, 'channels must be distinct'),
  active: z.boolean().default(true),
});
const subscriptionView = z.object({ eventType: z.string(), channels: z.array(z.string()), active: z.boolean(), createdAt: z.string(), updatedAt: z.string() });

type UserRow = User & { smsPreferences: UserSmsPreferences | null; emailPreferences: UserEmailPreferences | null };

function toUserView(u: UserRow, addresses: ChannelAddressRow[]) {
  const p = u.smsPreferences;
  const e = u.emailPreferences;
  return {
    externalId: u.externalId,
    timezone: u.timezone,
    locale: u.locale,
    sms: p ? { phoneNumber: p.phoneNumber, phoneVerified: p.phoneVerified, optedOut: p.optedOut } : null,
    email: e ? { address: e.emailAddress, verified: e.emailVerified, optedOut: e.optedOut, undeliverable: e.undeliverable, undeliverableReason: e.undeliverableReason } : null,
    channels: channelSummaries(addresses),
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

const toSubscriptionView = (s: { eventType: string; channels: string[]; active: boolean; createdAt: Date; updatedAt: Date }) => ({
  eventType: s.eventType, channels: s.channels, active: s.active, createdAt: iso(s.createdAt)!, updatedAt: iso(s.updatedAt)!,
});

export function registerUserRoutes(app: FastifyInstance, deps: { prisma: PrismaClient }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const read = requireScope(deps.prisma, 'admin:read');
  const write = requireScope(deps.prisma, 'admin:write');
  const findUser = (externalId: string) => deps.prisma.user.findUnique({ where: { externalId } });
  /** The channel addresses as the router reads them (the view user_channel_addresses). */
  const addressesOf = (userId: string) => deps.prisma.$queryRaw<ChannelAddressRow[]>`
    SELECT channel, address, verified, opted_out, undeliverable FROM user_channel_addresses WHERE user_id = ${userId}::uuid`;
  const withChannels = { smsPreferences: true, emailPreferences: true } as const;

  r.put('/v1/users/:externalId', {
    onRequest: write,
    schema: {
      tags: ['recipients'], summary: 'Create or update a recipient (IANA timezone, BCP 47 locale)',
      params: userParams, body: userBody, response: { 200: userView, 201: userView, ...authErrors },
    },
  }, async (request, reply) => {
    const { externalId } = request.params;
    const locale = Intl.getCanonicalLocales(request.body.locale)[0]!;
    // One statement decides create vs update, so concurrent PUTs of a new user never race
    // into the unique index (a read-then-upsert did: 503s). `xmax = 0` is true only for the
    // row version this statement inserted: exactly one of concurrent creators answers 201.
    const [row] = await deps.prisma.$queryRaw<{ id: string; inserted: boolean }[]>`
      INSERT INTO users (external_id, timezone, locale)
      VALUES (${externalId}, ${request.body.timezone}, ${locale})
      ON CONFLICT (external_id) DO UPDATE SET timezone = EXCLUDED.timezone, locale = EXCLUDED.locale, updated_at = CURRENT_TIMESTAMP
      RETURNING id::text AS id, (xmax = 0) AS inserted`;
    const user = await deps.prisma.user.findUniqueOrThrow({ where: { id: row!.id }, include: withChannels });
    return reply.code(row!.inserted ? 201 : 200).send(toUserView(user, await addressesOf(user.id)));
  });

  r.get('/v1/users/:externalId', {
    onRequest: read,
    schema: { tags: ['recipients'], summary: 'One recipient with its SMS and email state and the availability of every channel', params: userParams, response: { 200: userView, 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const user = await deps.prisma.user.findUnique({ where: { externalId: request.params.externalId }, include: withChannels });
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    return toUserView(user, await addressesOf(user.id));
  });

  r.get('/v1/users/:externalId/subscriptions', {
    onRequest: read,
    schema: { tags: ['recipients'], summary: "A recipient's subscriptions", params: userParams, response: { 200: z.object({ items: z.array(subscriptionView) }), 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const user = await findUser(request.params.externalId);
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    const rows = await deps.prisma.notificationSubscription.findMany({ where: { userId: user.id }, orderBy: { eventType: 'asc' } });
    return { items: rows.map(toSubscriptionView) };
  });

  r.put('/v1/users/:externalId/subscriptions/:eventType', {
    onRequest: write,
    schema: {
      tags: ['recipients'], summary: 'Subscribe a recipient to an event type on some channels (or pause with active=false)',
      params: subscriptionParams, body: subscriptionBody, response: { 200: subscriptionView, 404: errorSchema, ...authErrors },
    },
  }, async (request, reply) => {
    const user = await findUser(request.params.externalId);
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    const data = { channels: request.body.channels, active: request.body.active };
    const row = await deps.prisma.notificationSubscription.upsert({
      where: { userId_eventType: { userId: user.id, eventType: request.params.eventType } },
      create: { userId: user.id, eventType: request.params.eventType, ...data },
      update: data,
    });
    return toSubscriptionView(row);
  });

  r.delete('/v1/users/:externalId/subscriptions/:eventType', {
    onRequest: write,
    schema: { tags: ['recipients'], summary: 'Remove a subscription', params: subscriptionParams, response: { 204: z.null(), 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const user = await findUser(request.params.externalId);
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    const { count } = await deps.prisma.notificationSubscription.deleteMany({ where: { userId: user.id, eventType: request.params.eventType } });
    if (count === 0) return sendError(reply, 404, 'subscription_not_found', `no subscription to ${request.params.eventType}`);
    return reply.code(204).send(null);
  });
}
