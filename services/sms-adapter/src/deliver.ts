import type { PrismaClient } from '@hub/db';
import type { Clock, DeliveryRequest, SmsStatusUpdate } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import { isProviderWide, ProviderError, type SmsProvider } from '@hub/sms-provider';
import type { ChannelGate } from '@hub/channel-kit';
import { isFinalSmsStatus, mapTwilioStatus, retryDecision, type RateLimits, type SmsStatus } from '@hub/sms-rules';
import { checkRateLimit } from './rate-limit.ts';
import { capDayBounds, decidePolicy, effectiveTimezone } from './policy.ts';
import { adhocSend, composeMessage, reuse } from './compose.ts';
import { sendTiming, type SchedulingWindow } from './timing.ts';
import { isHeldByProvider } from './held.ts';
import type { HotPath } from './hot-path.ts';
import type { TemplateStore } from './template-store.ts';
import type { TokenBucket } from './rate-limiter.ts';
import { beginAttempt, markFailed, markSkipped, scheduleAgain } from './transitions.ts';
import { recordOptOut } from '@hub/db';
import { failpoint } from '@hub/runtime';

export interface DeliverSettings {
  statusCallbackBaseUrl: string;
  from?: string;
  messagingServiceSid?: string;
  maxAttempts: number;
  allowedCountries: readonly string[];
  footer: 'first' | 'always' | 'never';
  /** Full topic name the delayed requests are published to (this adapter's own input). */
  selfTopic: string;
  /** Public base URL of the gateway: short links are <it>/l/<code>. */
  publicBaseUrl: string;
  /** How long a send of unknown outcome waits for its callback before a provider lookup. */
  reconcileAfterMs: number;
  /** Lead times Twilio-native scheduling is used for (default TWILIO_SCHEDULING_WINDOW). */
  nativeSchedulingWindow?: SchedulingWindow | undefined;
  /** Per-user limits per rolling minute / hour (SMS_RATE_LIMIT_PER_MINUTE/_HOUR); absent or 0: none. */
  userRateLimits?: RateLimits | undefined;
  /** What an over-limit message does (SMS_RATE_LIMIT_ACTION): wait for room (default) or be skipped `rate_limited`. */
  rateLimitAction?: 'defer' | 'skip' | undefined;
}

export interface DeliverDeps {
  prisma: PrismaClient;
  /** The per-send statements, shared by the deliveries in flight (group commit). */
  hot: HotPath;
  log: Logger;
  clock: Clock;
  provider: SmsProvider;
  templates: TemplateStore;
  limiter: TokenBucket;
  /** Closed while the provider fails for every message (credentials, account, sender, rate limit). */
  gate: ChannelGate;
  /** Source of randomness for short-link codes. */
  randomBytes: (n: number) => Uint8Array;
  settings: DeliverSettings;
  random: () => number;
  /**
   * Hands a status learned from the provider to the normal status path (notify.sms.status.v1,
   * source "lookup"), where it is ranked and applied with the delivery in one transaction.
   */
  publishStatus: (update: SmsStatusUpdate) => Promise<void>;
}

export type DeliverOutcome =
  | 'sent' | 'skipped' | 'deferred' | 'failed' | 'retry_scheduled'
  | 'already_final' | 'duplicate' | 'unknown_delivery' | 'reconciling' | 'reconciled';

const FINAL_DELIVERY = new Set(['delivered', 'failed', 'skipped', 'cancelled']);

/**
 * Handles one delivery request end to end. Safe to run twice for the same request: every
 * step checks the stored state first, and the provider is called only after the attempt is
 * recorded as "sending", so a crash never leads to a blind second send (invariant 2).
 */
export async function deliver(deps: DeliverDeps, request: DeliveryRequest): Promise<DeliverOutcome> {
  const { prisma, clock, settings } = deps;
  const startedAt = performance.now();
  const log = deps.log.child({ deliveryId: request.deliveryId, eventId: request.eventId });
  const delivery = await deps.hot.loadDelivery(request.deliveryId);
  if (!delivery) {
    log.warn('delivery request for an unknown delivery ignored');
    return 'unknown_delivery';
  }
  if (FINAL_DELIVERY.has(delivery.status)) return 'already_final';
  const existing = delivery.smsMessages[0] ?? null;
  if (existing) {
    const state = existing.status as SmsStatus;
    if (state === 'sending' && !existing.twilioSid) return reconcile(deps, request, existing, log);
    if (state !== 'pending' && state !== 'scheduled') return 'duplicate';
    if (request.reason === 'new') return 'duplicate'; // a replay of the first request while a retry waits
  }

  // A message Twilio holds until its SendAt: the provider sends it, nothing to do here.
  if (existing && isHeldByProvider(existing)) return 'duplicate';

  const now = clock.now();
  // A retry of a natively scheduled message keeps its send time; any other is due by now.
  const scheduledFor = existing?.scheduledFor ?? delivery.event.scheduledFor;
  const timing = sendTiming({ now, scheduledFor, nativeAvailable: Boolean(settings.messagingServiceSid), window: settings.nativeSchedulingWindow });
  if (timing.mode === 'scheduler') {
    await scheduleAgain(prisma, {
      request, until: timing.until, topic: settings.selfTopic, kind: 'scheduled_send', reason: 'scheduled',
      dedupeKey: `scheduled:${delivery.id}:${timing.until.getTime()}:${request.requestedAt}`, now,
    });
    log.info({ until: timing.until }, 'delivery held by the scheduler until its send time');
    return 'deferred';
  }
  // A natively scheduled message is judged as of its send time (quiet hours, that day's cap).
  const policyNow = timing.mode === 'native' ? timing.sendAt : now;

  const prefs = delivery.user.smsPreferences;
  const timezone = effectiveTimezone(prefs?.timezone, delivery.user.timezone);
  const day = capDayBounds(policyNow, timezone);
  const sentToday = await deps.hot.countSentInDay({ userId: delivery.userId, day, excludeId: existing?.id });
  // A raw-number send (allowed by the operator) has no verified owner to ask: the number's
  // opt-out, the allow-list, quiet hours and the limits still apply.
  const rawNumber = delivery.user.externalId.startsWith('phone:') && adhocSend(delivery.event.eventType, (delivery.event.payload ?? {}) as Record<string, unknown>)?.rawNumber === true;
  const decision = decidePolicy({
    now: policyNow,
    eventType: delivery.event.eventType,
    priority: delivery.event.priority,
    prefs: prefs ? { ...prefs, timezone, phoneVerified: prefs.phoneVerified || rawNumber } : null,
    sentToday,
    channelPreferences: delivery.channelPreferences,
    allowedCountries: settings.allowedCountries,
  });
  switch (decision.action) {
    case 'skip':
      await markSkipped(prisma, delivery.id, decision.reason, decision.detail);
      log.info({ reason: decision.reason }, 'delivery skipped');
      return 'skipped';
    case 'fail':
      // Bad stored settings: retrying cannot help; the delivery records why.
      await markFailed(prisma, delivery.id, decision.code, decision.message, now, existing?.id);
      log.warn({ code: decision.code, error: decision.message }, 'delivery failed: invalid SMS preferences');
      return 'failed';
    case 'defer':
      await scheduleAgain(prisma, {
        request, until: decision.until, topic: settings.selfTopic, kind: 'quiet_hours', reason: 'deferred',
        // requestedAt tells a replay (same key) from a re-deferral released a moment early
        // by a scheduler whose clock runs ahead (new key): the latter must not be dropped.
        dedupeKey: `defer:${delivery.id}:${decision.until.getTime()}:${request.requestedAt}`, now,
      });
      log.info({ until: decision.until }, 'delivery deferred to the end of quiet hours');
      return 'deferred';
    case 'send':
      break;
  }

  // Per-user rate limits, counted from sms_messages (not in memory): one user's requests
  // are keyed to one partition and handled one at a time, so the count is exact.
  if (timing.mode === 'now' && settings.userRateLimits) {
    const limited = await checkRateLimit(prisma, { userId: delivery.userId, now, limits: settings.userRateLimits, excludeId: existing?.id });
    if (!limited.allowed) {
      if (settings.rateLimitAction === 'skip') {
        await markSkipped(prisma, delivery.id, 'rate_limited', `${limited.count} in the last ${limited.window}, limit ${limited.limit}`);
        log.info({ window: limited.window }, 'delivery skipped: per-user rate limit');
        return 'skipped';
      }
      await scheduleAgain(prisma, {
        request, until: limited.until, topic: settings.selfTopic, kind: 'rate_limit', reason: 'deferred',
        dedupeKey: `ratelimit:${delivery.id}:${limited.until.getTime()}:${request.requestedAt}`, now,
      });
      log.info({ until: limited.until, window: limited.window }, 'delivery deferred: per-user rate limit');
      return 'deferred';
    }
  }

  const phoneNumber = prefs!.phoneNumber!;
  // A retry resends the text of the first attempt (same links, same footer); only a first
  // attempt is composed, and only it counts as a use of its template.
  const composed = existing?.messageContent ? reuse(existing) : await composeMessage(deps, { delivery, phoneNumber });
  if (!composed.ok) {
    await markFailed(prisma, delivery.id, composed.code, composed.message, now, existing?.id);
    log.warn({ code: composed.code, error: composed.message }, 'message could not be composed');
    return 'failed';
  }

  const maxAttempts = existing?.maxAttempts ?? settings.maxAttempts;
  const sendAt = timing.mode === 'native' ? timing.sendAt : undefined;
  const attempt = await beginAttempt(prisma, deps.hot, existing ? { id: existing.id, status: existing.status as SmsStatus } : null, {
    deliveryId: delivery.id,
    userId: delivery.userId,
    phoneNumber,
    content: composed.text,
    templateId: composed.templateId,
    templateKey: composed.templateKey,
    templateVars: composed.vars,
    priority: delivery.event.priority,
    segments: composed.segments,
    encoding: composed.encoding,
    maxAttempts,
    links: composed.links,
    // Recorded with the attempt, before the call: a crash recovery resends with the same SendAt.
    scheduledFor: sendAt,
    now,
  });
  if (!attempt) return 'duplicate';
  return send(deps, request, { id: attempt.id, attempt: attempt.attempt, phoneNumber, body: composed.text, maxAttempts, sendAt }, log.child({ prepareMs: Math.round(performance.now() - startedAt), queuedMs: Date.now() - Date.parse(request.requestedAt) }));
}

interface Outgoing {
  id: string;
  attempt: number;
  phoneNumber: string;
  body: string;
  maxAttempts: number;
  /** Twilio-native scheduling: the provider holds the message until then. */
  sendAt?: Date | undefined;
}

async function send(deps: DeliverDeps, request: DeliveryRequest, msg: Outgoing, log: Logger): Promise<DeliverOutcome> {
  const { settings } = deps;
  for (;;) {
    // Held here while the channel is paused; the attempt stays "sending" without a provider id,
    // which is what a crash leaves too: a redelivered request reconciles before sending.
    await deps.gate.pass();
    await deps.limiter.take();
    const sendStarted = performance.now();
    let result: Awaited<ReturnType<SmsProvider['send']>>;
    try {
      failpoint('sms.before_send');
      result = await deps.provider.send({
        to: msg.phoneNumber,
        body: msg.body,
        from: settings.from,
        messagingServiceSid: settings.messagingServiceSid,
        sendAt: msg.sendAt,
        statusCallback: `${settings.statusCallbackBaseUrl.replace(/\/$/, '')}/webhooks/twilio/status?mid=${msg.id}`,
      });
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      if (isProviderWide(err)) {
        // Not the message's fault: pause the channel and send this one again when it opens.
        if (err.kind === 'rate_limited') deps.limiter.pause(err.retryAfterMs ?? 1_000);
        deps.gate.failed({ code: err.code, reason: `${err.twilioCode ?? err.httpStatus ?? err.code}: ${err.message}`, retryAfterMs: err.retryAfterMs });
        log.warn({ messageId: msg.id, code: err.code, twilioCode: err.twilioCode }, 'provider-wide failure: channel paused, message held');
        continue;
      }
      deps.gate.succeeded();
      return handleProviderError(deps, request, msg, err, log);
    }
    deps.gate.succeeded();
    failpoint('sms.after_send');
    const mapped = mapTwilioStatus(result.status) ?? 'queued';
    await deps.hot.recordAccepted({ messageId: msg.id, deliveryId: request.deliveryId, sid: result.sid, providerStatus: result.status, mapped, now: deps.clock.now(), attempt: msg.attempt });
    log.info({ messageId: msg.id, sid: result.sid, attempt: msg.attempt, sendMs: Math.round(performance.now() - sendStarted) }, 'sms accepted by provider');
    return 'sent';
  }
}

async function handleProviderError(deps: DeliverDeps, request: DeliveryRequest, msg: Outgoing, err: ProviderError, log: Logger): Promise<DeliverOutcome> {
  const now = deps.clock.now();
  if (err.outcomeUnknown) {
    // The provider may have accepted it (a timeout, a connection cut mid-request, an unreadable
    // answer). Leave it "sending" and let the callback or a lookup settle it before any resend.
    log.warn({ messageId: msg.id, code: err.code }, 'provider call ended without a usable answer; outcome unknown, reconciling');
    await scheduleReconcile(deps, request, { id: msg.id, attempt: msg.attempt }, new Date(now.getTime() + deps.settings.reconcileAfterMs), now);
    return 'reconciling';
  }
  if (err.kind === 'rate_limited') deps.limiter.pause(err.retryAfterMs ?? 1_000);
  const decision = retryDecision({ errorCode: err.twilioCode ?? null, attempt: msg.attempt, maxAttempts: msg.maxAttempts, random: deps.random, retryableHint: err.retryable });
  switch (decision.action) {
    case 'retry': {
      const until = new Date(now.getTime() + Math.max(decision.delayMs, err.retryAfterMs ?? 0));
      await scheduleAgain(deps.prisma, {
        request, until, topic: deps.settings.selfTopic, kind: 'sms_retry', reason: 'retry',
        dedupeKey: `retry:${msg.id}:${msg.attempt}`, now,
        message: { id: msg.id, errorCode: err.twilioCode ?? null, error: err.message },
      });
      log.warn({ messageId: msg.id, code: err.twilioCode, category: decision.category, until }, 'send failed; retry scheduled');
      return 'retry_scheduled';
    }
    case 'opt_out':
    case 'fail': {
      await markFailed(deps.prisma, request.deliveryId, String(err.twilioCode ?? err.code), err.message, now, msg.id, err.twilioCode ?? null);
      if (decision.action === 'opt_out') {
        await deps.prisma.$transaction((tx) =>
          recordOptOut(tx, { userId: request.userId, phoneNumber: msg.phoneNumber, source: 'provider_error', keyword: null, messageSid: null, reason: `twilio_${err.twilioCode}`, at: now }),
        );
      }
      log.warn({ messageId: msg.id, code: err.twilioCode, category: decision.category }, 'send failed permanently');
      return 'failed';
    }
  }
}

/** A send of unknown outcome: wait for its callback, then ask the provider, before resending. */
async function reconcile(deps: DeliverDeps, request: DeliveryRequest, message: { id: string; phoneNumber: string; messageContent: string; sendStartedAt: Date | null; scheduledFor: Date | null; attemptCount: number; maxAttempts: number }, log: Logger): Promise<DeliverOutcome> {
  const now = deps.clock.now();
  const startedAt = message.sendStartedAt ?? now;
  // A natively scheduled send is not listed as sent before its SendAt: look for it after.
  if (message.scheduledFor && message.scheduledFor.getTime() > now.getTime() - deps.settings.reconcileAfterMs) {
    await scheduleReconcile(deps, request, { id: message.id, attempt: message.attemptCount, step: 'after-send-at' }, new Date(message.scheduledFor.getTime() + deps.settings.reconcileAfterMs), now);
    return 'reconciling';
  }
  if (now.getTime() - startedAt.getTime() < deps.settings.reconcileAfterMs) {
    await scheduleReconcile(deps, request, { id: message.id, attempt: message.attemptCount }, new Date(startedAt.getTime() + deps.settings.reconcileAfterMs), now);
    return 'reconciling';
  }
  let found: Awaited<ReturnType<SmsProvider['findSent']>>;
  try {
    found = await deps.provider.findSent({ to: message.phoneNumber, body: message.messageContent, since: new Date(startedAt.getTime() - 60_000) });
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    // The provider cannot tell now: ask again later (never resend without an answer).
    log.warn({ messageId: message.id, code: err.code }, 'provider lookup of a send of unknown outcome failed; asking again later');
    await scheduleReconcile(deps, request, { id: message.id, attempt: message.attemptCount, step: 'lookup' }, new Date(now.getTime() + deps.settings.reconcileAfterMs), now);
    return 'reconciling';
  }
  if (found) {
    const mapped = mapTwilioStatus(found.status) ?? 'queued';
    // Record the acceptance; a status already past it (delivered, undelivered…) goes through
    // the status path like a callback, so retries, opt-outs and the delivery follow from it.
    const final = isFinalSmsStatus(mapped);
    await deps.hot.recordAccepted({ messageId: message.id, deliveryId: request.deliveryId, sid: found.sid, providerStatus: final ? 'sent' : found.status, mapped: final ? 'sent' : mapped, now, attempt: message.attemptCount });
    if (final) {
      await deps.publishStatus({
        messageId: message.id, sid: found.sid, status: found.status, errorCode: found.errorCode, errorMessage: found.errorMessage,
        receivedAt: now.toISOString(), source: 'lookup',
      });
    }
    log.info({ messageId: message.id, sid: found.sid, status: found.status }, 'send of unknown outcome found at the provider; not resent');
    return 'reconciled';
  }
  log.warn({ messageId: message.id }, 'send of unknown outcome not found at the provider; sending it now');
  return send(deps, request, { id: message.id, attempt: message.attemptCount, phoneNumber: message.phoneNumber, body: message.messageContent, maxAttempts: message.maxAttempts }, log);
}

/**
 * Asks again about a send of unknown outcome at `until`. The key carries the request's time:
 * a replay of this request adds nothing, while each later round (a failed lookup, a resend
 * of unknown outcome again) gets a job of its own instead of being dropped as a duplicate.
 */
function scheduleReconcile(deps: DeliverDeps, request: DeliveryRequest, message: { id: string; attempt: number; step?: string }, until: Date, now: Date): Promise<void> {
  const step = message.step ? `${message.step}:` : '';
  return scheduleAgain(deps.prisma, {
    request, until, topic: deps.settings.selfTopic, kind: 'reconcile', reason: 'retry',
    dedupeKey: `reconcile:${message.id}:${message.attempt}:${step}${request.requestedAt}`, now,
  });
}
