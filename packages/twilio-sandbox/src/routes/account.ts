import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { FROM_ERRORS, isMessagingServiceSid } from '../numbers.ts';

const BASE = '/2010-04-01/Accounts/:account';
type AccountParams = { account: string };

/** A stable sid per number or service name (PN… for numbers), so repeated lookups agree. */
const stableSid = (prefix: string, of: string) => prefix + createHash('sha256').update(of).digest('hex').slice(0, 32);

/** The numbers of the account: the From numbers sends accept (the magic refused ones excluded). */
export function accountNumbers(ctx: SandboxContext): string[] {
  return [...ctx.fromNumbers].filter((n) => FROM_ERRORS[n] === undefined).sort();
}

/** Whether a Messaging Service exists: one of the registered ones or, when none were registered, any well-formed MG sid. */
export function messagingServiceExists(ctx: SandboxContext, sid: string): boolean {
  if (!isMessagingServiceSid(sid)) return false;
  return ctx.account.messagingServices === null || ctx.account.messagingServices.has(sid);
}

/** The account state as the control API and the sandbox handle report it. */
export function accountSnapshot(ctx: SandboxContext) {
  const services = ctx.account.messagingServices;
  return { balance: ctx.account.balance, currency: ctx.account.currency, messagingServices: services === null ? null : [...services].sort(), numbers: accountNumbers(ctx) };
}

function numberJson(ctx: SandboxContext, phoneNumber: string, created: Date) {
  const sid = stableSid('PN', `${ctx.accountSid}:${phoneNumber}`);
  return {
    sid,
    account_sid: ctx.accountSid,
    friendly_name: phoneNumber,
    phone_number: phoneNumber,
    capabilities: { voice: true, sms: true, mms: true, fax: false },
    status: 'in-use',
    origin: 'twilio',
    api_version: '2010-04-01',
    date_created: created.toUTCString(),
    date_updated: created.toUTCString(),
    uri: `/2010-04-01/Accounts/${ctx.accountSid}/IncomingPhoneNumbers/${sid}.json`,
  };
}

/**
 * The account resources the hub's health checks read: the Balance API, the
 * IncomingPhoneNumbers list (filtered by PhoneNumber: digits, '*' any digit, partial match
 * as Twilio does) and a Messaging Service (Messaging v1, reached through the same base URL).
 */
export function accountRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const wrongAccount = (reply: FastifyReply, account: string, url: string) => (account === ctx.accountSid ? null : notFound(reply, url));
  const started = new Date();

  app.get<{ Params: AccountParams }>(`${BASE}/Balance.json`, async (request, reply) => {
    const denied = wrongAccount(reply, request.params.account, request.url);
    if (denied) return denied;
    return { account_sid: ctx.accountSid, balance: ctx.account.balance, currency: ctx.account.currency };
  });

  app.get<{ Params: AccountParams; Querystring: Record<string, string | undefined> }>(`${BASE}/IncomingPhoneNumbers.json`, async (request, reply) => {
    const denied = wrongAccount(reply, request.params.account, request.url);
    if (denied) return denied;
    const q = request.query;
    const pageSize = Math.min(1000, Math.max(1, Math.floor(Number(q.PageSize ?? 50)) || 50));
    const page = Math.max(0, Math.floor(Number(q.Page ?? 0)) || 0);
    const filter = q.PhoneNumber?.trim();
    const pattern = filter ? new RegExp(filter.replace(/[^\d*+]/g, '').replace(/\+/g, '\\+').replace(/\*/g, '\\d')) : null;
    const matches = accountNumbers(ctx).filter((n) => pattern === null || pattern.test(n));
    const start = page * pageSize;
    const slice = matches.slice(start, start + pageSize);
    const uri = (p: number) => {
      const params = new URLSearchParams();
      if (filter) params.set('PhoneNumber', filter);
      params.set('PageSize', String(pageSize));
      params.set('Page', String(p));
      return `/2010-04-01/Accounts/${ctx.accountSid}/IncomingPhoneNumbers.json?${params.toString()}`;
    };
    return {
      incoming_phone_numbers: slice.map((n) => numberJson(ctx, n, started)),
      page,
      page_size: pageSize,
      start,
      end: start + slice.length - 1,
      uri: uri(page),
      first_page_uri: uri(0),
      next_page_uri: start + pageSize < matches.length ? uri(page + 1) : null,
      previous_page_uri: page > 0 ? uri(page - 1) : null,
    };
  });

  app.get<{ Params: { sid: string } }>('/v1/Services/:sid', async (request, reply) => {
    const { sid } = request.params;
    if (!messagingServiceExists(ctx, sid)) return notFound(reply, request.url);
    return {
      account_sid: ctx.accountSid,
      sid,
      friendly_name: `Sandbox service ${sid.slice(-6)}`,
      date_created: started.toISOString(),
      date_updated: started.toISOString(),
      inbound_request_url: null,
      inbound_method: 'POST',
      fallback_url: null,
      fallback_method: 'POST',
      status_callback: null,
      sticky_sender: true,
      mms_converter: true,
      smart_encoding: true,
      scan_message_content: 'inherit',
      fallback_to_long_code: true,
      area_code_geomatch: true,
      validity_period: 14_400,
      synchronous_validation: false,
      usecase: 'notifications',
      us_app_to_person_registered: false,
      use_inbound_webhook_on_number: false,
      url: `https://messaging.twilio.com/v1/Services/${sid}`,
      links: {
        phone_numbers: `https://messaging.twilio.com/v1/Services/${sid}/PhoneNumbers`,
        short_codes: `https://messaging.twilio.com/v1/Services/${sid}/ShortCodes`,
        alpha_senders: `https://messaging.twilio.com/v1/Services/${sid}/AlphaSenders`,
      },
    };
  });
}
