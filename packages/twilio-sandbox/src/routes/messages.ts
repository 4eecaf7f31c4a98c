import type { FastifyInstance, FastifyReply } from 'fastify';
import { many, one, type Form, type SandboxContext } from '../context.ts';
import { notFound, sendTwilioError } from '../errors.ts';
import { FROM_ERRORS, isE164, TO_ERRORS, unknownFromError, type TestNumberError } from '../numbers.ts';
import { messagingServiceExists } from './account.ts';
import { messageJson, newSid, roughSegments, type SandboxMessage } from '../store.ts';

const BASE = '/2010-04-01/Accounts/:account';
type AccountParams = { account: string };
type MessageParams = { account: string; sid: string };

const reject = (reply: FastifyReply, e: TestNumberError) => sendTwilioError(reply, e.status, e.code, e.message);

/** The Messages API subset the hub uses: create (incl. scheduled), fetch, cancel/redact, list. */
export function messageRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const wrongAccount = (reply: FastifyReply, account: string, url: string) => (account === ctx.accountSid ? null : notFound(reply, url));

  app.post<{ Params: AccountParams; Body: Form | undefined }>(`${BASE}/Messages.json`, async (request, reply) => {
    const denied = wrongAccount(reply, request.params.account, request.url);
    if (denied) return denied;
    if (!ctx.guard.takeRate()) return sendTwilioError(reply, 429, 20429, 'Too Many Requests');
    const form = request.body ?? {};
    const to = one(form.To)?.trim();
    const from = one(form.From)?.trim() || null;
    const service = one(form.MessagingServiceSid)?.trim() || null;
    const text = one(form.Body) ?? '';
    const media = many(form.MediaUrl);
    if (!to) return sendTwilioError(reply, 400, 21604, "A 'To' phone number is required.");
    if (!from && !service) return sendTwilioError(reply, 400, 21603, "A 'From' phone number is required.");
    if (service && !messagingServiceExists(ctx, service)) return sendTwilioError(reply, 400, 21705, `The Messaging Service Sid ${service} is invalid.`);
    if (from) {
      const fromError = FROM_ERRORS[from] ?? (ctx.fromNumbers.has(from) ? undefined : unknownFromError(from));
      if (fromError) return reject(reply, fromError);
    }
    const toError = TO_ERRORS[to];
    if (toError) return reject(reply, toError);
    if (!isE164(to)) return sendTwilioError(reply, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (text.trim() === '' && media.length === 0) return sendTwilioError(reply, 400, 21602, 'Message body is required.');
    if (text.length > 1600) return sendTwilioError(reply, 400, 21617, 'The concatenated message body exceeds the 1600 character limit.');

    const scheduleType = one(form.ScheduleType);
    const sendAtRaw = one(form.SendAt);
    let sendAt: Date | null = null;
    if (scheduleType !== undefined || sendAtRaw !== undefined) {
      if (!sendAtRaw) return sendTwilioError(reply, 400, 35111, 'SendAt timestamp is missing');
      if (!service) return sendTwilioError(reply, 400, 35118, 'MessagingServiceSid is required to schedule a message');
      sendAt = new Date(sendAtRaw);
      const lead = sendAt.getTime() - Date.now();
      if (Number.isNaN(lead) || lead < ctx.scheduling.minLeadMs || lead > ctx.scheduling.maxLeadMs) {
        return sendTwilioError(reply, 400, 35114, 'Scheduling does not support this timestamp');
      }
    }

    const statusCallback = one(form.StatusCallback)?.trim() || null;
    let messageId: string | null = null;
    if (statusCallback) {
      const parsed = URL.canParse(statusCallback) ? new URL(statusCallback) : null;
      if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
        return sendTwilioError(reply, 400, 21609, `The StatusCallback URL ${statusCallback} is not a valid URL.`);
      }
      messageId = parsed.searchParams.get(ctx.messageIdParam);
    }

    const now = new Date();
    const message: SandboxMessage = {
      sid: newSid('SM'),
      accountSid: ctx.accountSid,
      to,
      from,
      body: text,
      numMedia: media.length,
      status: sendAt ? 'scheduled' : service ? 'accepted' : 'queued',
      statusCallback,
      messageId,
      messagingServiceSid: service,
      sendAt,
      errorCode: null,
      segments: roughSegments(text),
      dateCreated: now,
      dateUpdated: now,
      dateSent: null,
    };
    ctx.store.add(message);
    if (sendAt) ctx.lifecycle.schedule(message);
    else ctx.lifecycle.start(message);
    return reply.code(201).send(messageJson(message));
  });

  app.get<{ Params: MessageParams }>(`${BASE}/Messages/:sid.json`, async (request, reply) => {
    const m = ctx.store.get(request.params.sid);
    if (!m || m.accountSid !== request.params.account) return notFound(reply, request.url);
    return messageJson(m);
  });

  // Update: Status=canceled cancels a scheduled message; Body="" redacts the body.
  app.post<{ Params: MessageParams; Body: Form | undefined }>(`${BASE}/Messages/:sid.json`, async (request, reply) => {
    const m = ctx.store.get(request.params.sid);
    if (!m || m.accountSid !== request.params.account) return notFound(reply, request.url);
    const form = request.body ?? {};
    const status = one(form.Status);
    const body = one(form.Body);
    if (status !== undefined) {
      if (status !== 'canceled') return sendTwilioError(reply, 400, 20001, `Invalid Status: ${status}`);
      if (!ctx.lifecycle.cancel(m)) return sendTwilioError(reply, 400, 30409, 'This message cannot be canceled');
    }
    if (body !== undefined) {
      if (body !== '') return sendTwilioError(reply, 400, 20001, 'Body can only be updated to an empty string (redaction)');
      m.body = '';
      m.dateUpdated = new Date();
    }
    return messageJson(m);
  });

  app.get<{ Params: AccountParams; Querystring: Record<string, string | undefined> }>(`${BASE}/Messages.json`, async (request, reply) => {
    const denied = wrongAccount(reply, request.params.account, request.url);
    if (denied) return denied;
    const q = request.query;
    const pageSize = clamp(Number(q.PageSize ?? 50), 1, 1000);
    const page = Math.max(0, Math.floor(Number(q.Page ?? 0)) || 0);
    const after = dateParam(q['DateSent>']);
    const before = dateParam(q['DateSent<']);
    const on = q.DateSent ? q.DateSent.slice(0, 10) : null;
    const matches: SandboxMessage[] = [];
    const source = ctx.store.all(q.To);
    // Like Twilio, the DateSent filters read date_sent only: a message not sent yet (queued,
    // accepted, scheduled: no date_sent) matches none of them.
    const dated = after !== null || before !== null || on !== null;
    for (let i = source.length - 1; i >= 0; i--) {
      const m = source[i]!;
      if (q.From && m.from !== q.From) continue;
      if (dated) {
        const sent = m.dateSent;
        if (sent === null) continue;
        if (after && sent < after) continue;
        if (before && sent >= before) continue;
        if (on && sent.toISOString().slice(0, 10) !== on) continue;
      }
      matches.push(m);
    }
    const start = page * pageSize;
    const slice = matches.slice(start, start + pageSize);
    const uri = (p: number) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(q)) if (v !== undefined && k !== 'Page' && k !== 'PageToken') params.set(k, v);
      params.set('PageSize', String(pageSize));
      params.set('Page', String(p));
      if (p > 0) params.set('PageToken', `PA${p}`);
      return `/2010-04-01/Accounts/${ctx.accountSid}/Messages.json?${params.toString()}`;
    };
    return {
      messages: slice.map(messageJson),
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
}

const clamp = (n: number, lo: number, hi: number) => (Number.isFinite(n) ? Math.min(hi, Math.max(lo, Math.floor(n))) : lo);

function dateParam(v: string | undefined): Date | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}
