import type { FastifyInstance } from 'fastify';
import { one, type Form, type SandboxContext } from '../context.ts';
import { notFound, sendTwilioError } from '../errors.ts';
import { isE164, VERIFY_TO_ERRORS } from '../numbers.ts';
import { newSid, verificationJson, type VerificationRecord } from '../store.ts';

const CHANNELS = new Set(['sms', 'call', 'email', 'whatsapp', 'sna', 'auto']);
/** Twilio Verify: at most 5 sends and 5 checks per verification. */
const MAX_SENDS = 5;
const MAX_CHECKS = 5;

type ServiceParams = { service: string };
const isServiceSid = (s: string) => /^VA[0-9a-f]{32}$/i.test(s);
const key = (service: string, to: string) => `${service}|${to}`;

/** Verify v2 subset: start a verification, check a code. */
export function verifyRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { verify } = ctx;

  const pendingFor = (service: string, to: string): VerificationRecord | undefined => {
    const v = verify.pending.get(key(service, to));
    if (!v) return undefined;
    if (Date.now() - v.dateCreated.getTime() > verify.ttlMs) {
      v.status = 'expired';
      verify.pending.delete(key(service, to));
      return undefined;
    }
    return v;
  };

  app.post<{ Params: ServiceParams; Body: Form | undefined }>('/v2/Services/:service/Verifications', async (request, reply) => {
    const { service } = request.params;
    if (!isServiceSid(service)) return notFound(reply, request.url);
    const form = request.body ?? {};
    const to = one(form.To)?.trim();
    const channel = one(form.Channel)?.trim() ?? '';
    if (!to) return sendTwilioError(reply, 400, 60200, 'Invalid parameter: To');
    if (!CHANNELS.has(channel)) return sendTwilioError(reply, 400, 60200, 'Invalid parameter: Channel');
    const refused = VERIFY_TO_ERRORS[to];
    if (refused) return sendTwilioError(reply, refused.status, refused.code, refused.message);
    if (channel !== 'email' && !isE164(to)) return sendTwilioError(reply, 400, 60200, 'Invalid parameter `To`');
    const now = new Date();
    let v = pendingFor(service, to);
    if (v) {
      if (v.sendAttempts >= MAX_SENDS) return sendTwilioError(reply, 429, 60203, 'Max send attempts reached');
      v.sendAttempts++;
      v.channel = channel;
      v.dateUpdated = now;
    } else {
      v = { sid: newSid('VE'), serviceSid: service, to, channel, status: 'pending', sendAttempts: 1, checkAttempts: 0, dateCreated: now, dateUpdated: now };
      verify.pending.set(key(service, to), v);
      verify.all.set(v.sid, v);
    }
    verify.starts.push({ sid: v.sid, serviceSid: service, to, channel, at: now });
    return reply.code(201).send(verificationJson(v, ctx.accountSid, false));
  });

  app.post<{ Params: ServiceParams; Body: Form | undefined }>('/v2/Services/:service/VerificationCheck', async (request, reply) => {
    const { service } = request.params;
    if (!isServiceSid(service)) return notFound(reply, request.url);
    const form = request.body ?? {};
    const code = one(form.Code)?.trim();
    const to = one(form.To)?.trim();
    const bySid = one(form.VerificationSid)?.trim();
    if (!to && !bySid) return sendTwilioError(reply, 400, 60200, 'Invalid parameter: To or VerificationSid is required');
    if (!code || !/^[0-9A-Za-z]{4,10}$/.test(code)) return sendTwilioError(reply, 400, 60200, 'Invalid parameter: Code');
    const candidate = bySid ? verify.all.get(bySid) : undefined;
    const v = to ? pendingFor(service, to) : candidate && pendingFor(service, candidate.to)?.sid === bySid ? candidate : undefined;
    if (!v) return notFound(reply, request.url);
    if (v.checkAttempts >= MAX_CHECKS) {
      v.status = 'max_attempts_reached';
      verify.pending.delete(key(service, v.to));
      return sendTwilioError(reply, 429, 60202, 'Max check attempts reached');
    }
    v.checkAttempts++;
    v.dateUpdated = new Date();
    const valid = code === verify.code;
    if (valid) {
      v.status = 'approved';
      verify.pending.delete(key(service, v.to));
    }
    return verificationJson(v, ctx.accountSid, valid);
  });
}
