import { decideChannelPolicy, isFinalDelivery, localCapDay } from '@hub/channel-kit';
import type { Clock, DeliveryRequest } from '@hub/contracts';
import type { PrismaClient } from '@hub/db';
import { EmailProviderError, isRelayWide, type EmailProvider } from '@hub/email-provider';
import type { ChannelGate } from '@hub/channel-kit';
import type { Logger } from '@hub/logger';
import { failpoint } from '@hub/runtime';
import { claimRetry, createFirstAttempt, markFailed, markSkipped, recordAccepted, scheduleRetry } from './attempts.ts';
import { composeEmail, finalParts, type ComposeSettings } from './compose.ts';
import { loadEmailDeliveries, type LoadedEmailDelivery } from './load.ts';
import { emailRetryDecision, type RetrySettings } from './retry.ts';
import type { EmailTemplateStore } from './templates.ts';

export interface EmailDeliverSettings extends ComposeSettings {
  from: string;
  /** The domain of our Message-IDs. */
  messageIdDomain: string;
  maxAttempts: number;
  retry: RetrySettings;
  /** Full topic name delayed requests go back to (this adapter's own input). */
  selfTopic: string;
  /**
   * A send of unknown outcome (the connection dropped after the message data) waits this
   * long for the provider's event about its Message-ID before `unknownOutcome` applies.
   */
  reconcileAfterMs: number;
  /**
   * What to do when no provider event settled a send of unknown outcome: 'resend' (the
   * default: nothing is lost, at most one duplicate, sent with the same Message-ID so
   * mailbox providers that dedupe on it show one) or 'fail' (never a duplicate; the
   * delivery fails with outcome_unknown). See docs/channels.md.
   */
  unknownOutcome: 'resend' | 'fail';
}

export interface EmailDeliverDeps {
  prisma: PrismaClient;
  log: Logger;
  clock: Clock;
  provider: EmailProvider;
  templates: EmailTemplateStore;
  settings: EmailDeliverSettings;
  random: () => number;
  /** Closed while the relay refuses every message (credentials, unavailable); absent: never paused. */
  gate?: ChannelGate | undefined;
  /**
   * Since when this process has been applying provider events (ms since the epoch), or null
   * before its status consumer joined: the wait before resending a send of unknown outcome
   * counts only time during which an event about it could have been applied.
   */
  eventsWatchedSince?: () => number | null;
}

export type EmailDeliverOutcome =
  | 'sent' | 'skipped' | 'deferred' | 'failed' | 'retry_scheduled' | 'already_final' | 'duplicate' | 'unknown_delivery' | 'reconciling' | 'resent_unknown' | 'reconciled';

/** Statuses of an email that count toward the daily cap (handed to the SMTP server). */
async function countSentToday(prisma: PrismaClient, userId: string, day: { start: Date; end: Date }, excludeId: string | null): Promise<number> {
  const rows = await prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM email_messages
     WHERE user_id = ${userId}::uuid AND (${excludeId}::uuid IS NULL OR id <> ${excludeId}::uuid)
       AND status IN ('sending', 'sent', 'delivered', 'bounced') AND send_started_at >= ${day.start} AND send_started_at < ${day.end}`;
  return rows[0]?.n ?? 0;
}

/**
 * Handles one email delivery request end to end; safe to run twice for the same request:
 * every step checks the stored state first, and the SMTP call happens only after the attempt
 * is recorded as "sending" with its Message-ID, so a crash never leads to a blind resend.
 */
export async function deliverEmail(deps: EmailDeliverDeps, request: DeliveryRequest): Promise<EmailDeliverOutcome> {
  const { prisma, settings } = deps;
  const log = deps.log.child({ deliveryId: request.deliveryId, eventId: request.eventId });
  const [delivery] = await loadEmailDeliveries(prisma, [request.deliveryId]);
  if (!delivery) {
    log.warn('delivery request for an unknown delivery ignored');
    return 'unknown_delivery';
  }
  if (isFinalDelivery(delivery.status)) return 'already_final';
  const existing = delivery.message;
  if (existing) {
    if (existing.status === 'sending' && !existing.providerQueueId) return reconcile(deps, request, delivery, log);
    if (existing.status !== 'pending' && existing.status !== 'scheduled') return 'duplicate';
    if (request.reason === 'new') return 'duplicate';
  }
  const now = deps.clock.now();

  if (delivery.event.scheduledFor && delivery.event.scheduledFor.getTime() > now.getTime() + 1_000 && !existing) {
    await scheduleRetry(prisma, {
      request, until: delivery.event.scheduledFor, topic: settings.selfTopic, kind: 'scheduled_send', reason: 'scheduled',
      dedupeKey: `scheduled:${delivery.id}:${delivery.event.scheduledFor.getTime()}:${request.requestedAt}`, now,
    });
    return 'deferred';
  }

  const prefs = delivery.emailPreferences;
  const skip = !prefs?.emailAddress ? 'no_email' : prefs.optedOut ? 'opted_out' : prefs.undeliverable ? 'undeliverable' : !prefs.emailVerified ? 'unverified' : null;
  if (skip) {
    await markSkipped(prisma, delivery.id, skip, skip === 'undeliverable' ? prefs?.undeliverableReason : null);
    log.info({ reason: skip }, 'email delivery skipped');
    return 'skipped';
  }
  const address = prefs!.emailAddress!;
  const timezone = delivery.user.timezone;
  const urgent = delivery.event.priority === 'urgent';
  const sentToday = await countSentToday(prisma, delivery.userId, localCapDay(now, timezone), existing?.id ?? null);
  const decision = decideChannelPolicy({
    now, eventType: delivery.event.eventType, urgent, preferences: delivery.channelPreferences,
    quietHours: null, timezone, dailyLimit: prefs!.dailyEmailLimit, sentToday,
  });
  switch (decision.action) {
    case 'skip':
      await markSkipped(prisma, delivery.id, decision.reason);
      log.info({ reason: decision.reason }, 'email delivery skipped');
      return 'skipped';
    case 'defer':
      await scheduleRetry(prisma, {
        request, until: decision.until, topic: settings.selfTopic, kind: 'quiet_hours', reason: 'deferred',
        dedupeKey: `defer:${delivery.id}:${decision.until.getTime()}:${request.requestedAt}`, now,
      });
      return 'deferred';
    case 'fail':
      await markFailed(prisma, { deliveryId: delivery.id, code: decision.code, error: decision.message, now });
      return 'failed';
    case 'send':
      break;
  }

  let attempt: { id: string; attempt: number; header: string } | null;
  let parts: { subject: string; html: string; text: string };
  if (existing) {
    parts = { subject: existing.subject, html: existing.htmlBody, text: existing.textBody };
    attempt = await claimRetry(prisma, { messageId: existing.id, deliveryId: delivery.id, to: address, domain: settings.messageIdDomain, now });
  } else {
    const composed = await composeEmail(deps.templates, delivery);
    if (!composed.ok) {
      await markFailed(prisma, { deliveryId: delivery.id, code: composed.code, error: composed.message, now });
      log.warn({ code: composed.code, error: composed.message }, 'email could not be composed');
      return 'failed';
    }
    parts = composed;
    attempt = await createFirstAttempt(prisma, {
      deliveryId: delivery.id, userId: delivery.userId, to: address, from: settings.from, subject: composed.subject, html: composed.html, text: composed.text,
      templateId: composed.templateId, templateKey: composed.templateKey, templateVars: composed.vars, priority: delivery.event.priority,
      maxAttempts: settings.maxAttempts, domain: settings.messageIdDomain, now,
    });
  }
  if (!attempt) return 'duplicate';
  return send(deps, request, delivery, { ...attempt, to: address, ...parts, maxAttempts: existing?.maxAttempts ?? settings.maxAttempts }, log);
}

interface Outgoing {
  id: string;
  attempt: number;
  header: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  maxAttempts: number;
}

async function send(deps: EmailDeliverDeps, request: DeliveryRequest, delivery: LoadedEmailDelivery, out: Outgoing, log: Logger): Promise<EmailDeliverOutcome> {
  const { settings } = deps;
  const final = finalParts(settings, out, { userId: delivery.userId, eventType: delivery.event.eventType, messageId: out.id, attempt: out.attempt, deliveryId: delivery.id });
  for (;;) {
    // Held here while the channel is paused; the attempt stays "sending", as after a crash.
    await deps.gate?.pass();
    const started = performance.now();
    let result: Awaited<ReturnType<EmailProvider['send']>>;
    try {
      failpoint('email.before_send');
      result = await deps.provider.send({ messageId: out.header, from: settings.from, to: out.to, subject: out.subject, html: final.html, text: final.text, headers: final.headers });
    } catch (err) {
      if (!(err instanceof EmailProviderError)) throw err;
      if (deps.gate && isRelayWide(err)) {
        deps.gate.failed({ code: err.code, reason: `${err.smtpCode ?? err.code}: ${err.response ?? err.message}`, retryAfterMs: err.code === 'rate_limited' ? err.retryAfterMs : null });
        log.warn({ messageId: out.id, code: err.code, smtpCode: err.smtpCode }, 'relay-wide failure: channel paused, email held');
        continue;
      }
      deps.gate?.succeeded();
      return handleError(deps, request, delivery, out, err, log);
    }
    deps.gate?.succeeded();
    failpoint('email.after_send');
    await recordAccepted(deps.prisma, { messageId: out.id, deliveryId: delivery.id, attempt: out.attempt, queueId: result.queueId, response: result.response, now: deps.clock.now() });
    log.info({ messageId: out.id, queueId: result.queueId, attempt: out.attempt, sendMs: Math.round(performance.now() - started) }, 'email accepted by the SMTP server');
    return 'sent';
  }
}

async function handleError(deps: EmailDeliverDeps, request: DeliveryRequest, delivery: LoadedEmailDelivery, out: Outgoing, err: EmailProviderError, log: Logger): Promise<EmailDeliverOutcome> {
  const now = deps.clock.now();
  const { settings } = deps;
  if (err.outcomeUnknown) {
    // The server may have taken it (the connection dropped after the data). Leave it
    // "sending" and let the provider's event about this Message-ID settle it first.
    log.warn({ messageId: out.id, code: err.code }, 'SMTP call ended without a usable answer; outcome unknown, reconciling');
    await scheduleRetry(deps.prisma, {
      request, until: new Date(now.getTime() + settings.reconcileAfterMs), topic: settings.selfTopic, kind: 'reconcile', reason: 'retry',
      dedupeKey: `reconcile:${out.id}:${out.attempt}:${request.requestedAt}`, now,
    });
    return 'reconciling';
  }
  const decision = emailRetryDecision({ code: err.code, attempt: out.attempt, maxAttempts: out.maxAttempts, retryAfterMs: err.retryAfterMs, random: deps.random, settings: settings.retry });
  const detail = err.response ?? err.message;
  if (decision.action === 'retry') {
    const until = new Date(now.getTime() + decision.delayMs);
    await scheduleRetry(deps.prisma, {
      request, until, topic: settings.selfTopic, kind: 'email_retry', reason: 'retry', dedupeKey: `retry:${out.id}:${out.attempt}`, now,
    }, { id: out.id, code: err.code, error: detail });
    log.warn({ messageId: out.id, code: err.code, smtpCode: err.smtpCode, until }, 'email send failed; retry scheduled');
    return 'retry_scheduled';
  }
  await markFailed(deps.prisma, {
    deliveryId: delivery.id, code: err.code, error: detail, now,
    message: { id: out.id, attempt: out.attempt, status: decision.undeliverable ? 'bounced' : 'failed', bounceType: 'hard', smtpStatus: err.enhancedStatus },
    ...(decision.undeliverable ? { undeliverable: { userId: delivery.userId, address: out.to, reason: `${err.smtpCode ?? ''} ${err.enhancedStatus ?? ''} ${detail}`.trim() } } : {}),
  });
  log.warn({ messageId: out.id, code: err.code, smtpCode: err.smtpCode }, 'email send failed permanently');
  return 'failed';
}

/**
 * A send of unknown outcome (a crash between "sending" and the SMTP reply, or a dropped
 * connection after the data). SMTP has no lookup: the provider's events (SendGrid's
 * processed/delivered, keyed by our Message-ID) are the evidence. Until reconcileAfterMs has
 * passed since the attempt started (and since this process began applying events), wait for
 * them; the status path moves the message out of "sending" when one arrives. After that,
 * with no evidence, `unknownOutcome` decides.
 */
async function reconcile(deps: EmailDeliverDeps, request: DeliveryRequest, delivery: LoadedEmailDelivery, log: Logger): Promise<EmailDeliverOutcome> {
  const message = delivery.message!;
  const { settings } = deps;
  const now = deps.clock.now();
  const startedAt = message.sendStartedAt ?? now;
  // A restarted adapter has not yet applied the events that arrived while it was down: the
  // window starts when both the send and this process's event consumer had started.
  const watching = deps.eventsWatchedSince?.() ?? now.getTime();
  const due = Math.max(startedAt.getTime(), watching) + settings.reconcileAfterMs;
  if (now.getTime() < due) {
    await scheduleRetry(deps.prisma, {
      request, until: new Date(due), topic: settings.selfTopic, kind: 'reconcile', reason: 'retry',
      dedupeKey: `reconcile:${message.id}:${message.attemptCount}:${request.requestedAt}`, now,
    });
    return 'reconciling';
  }
  if (settings.unknownOutcome === 'fail') {
    await markFailed(deps.prisma, {
      deliveryId: delivery.id, code: 'outcome_unknown', error: 'the SMTP exchange ended without an answer and no provider event arrived; not resent (EMAIL_UNKNOWN_OUTCOME=fail)', now,
      message: { id: message.id, attempt: message.attemptCount, status: 'failed' },
    });
    log.warn({ messageId: message.id }, 'send of unknown outcome not confirmed by the provider; failed without resending');
    return 'failed';
  }
  log.warn({ messageId: message.id }, 'send of unknown outcome not confirmed by the provider; resending with the same Message-ID');
  const header = message.messageIdHeader ?? `${message.id}.${message.attemptCount}@${settings.messageIdDomain}`;
  const outcome = await send(deps, request, delivery, {
    id: message.id, attempt: message.attemptCount, header, to: message.emailAddress, subject: message.subject, html: message.htmlBody, text: message.textBody, maxAttempts: message.maxAttempts,
  }, log);
  return outcome === 'sent' ? 'resent_unknown' : outcome;
}
