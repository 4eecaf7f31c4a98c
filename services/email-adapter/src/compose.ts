import { signLinkToken } from '@hub/channel-kit';
import type { Prisma } from '@hub/db';
import { fallbackEmail, renderEmail, sendgridUniqueArgsHeader, withUnsubscribeFooter } from '@hub/email-rules';
import type { LoadedEmailDelivery } from './load.ts';
import { emailTemplateKeyFor, type EmailTemplateStore } from './templates.ts';

export interface ComposeSettings {
  /** Public base URL of the gateway: unsubscribe links are <it>/u/<token>. */
  publicBaseUrl: string;
  linkSecret: string;
  /** What the unsubscribe link opts out of: the event type's email, or all email. */
  unsubscribeScope: 'event_type' | 'all';
  /** Add SendGrid's X-SMTPAPI custom args (hub_message_id, hub_attempt) so its events name our message. */
  sendgridArgs: boolean;
}

export type ComposedEmail =
  | { ok: true; subject: string; html: string; text: string; templateId: string | null; templateKey: string | null; vars: Prisma.InputJsonValue }
  | { ok: false; code: string; message: string };

/** The event's variables as templates see them (the same set SMS templates get). */
export function templateVars(delivery: LoadedEmailDelivery): Record<string, unknown> {
  const payload = (delivery.event.payload ?? {}) as Record<string, unknown>;
  return { ...payload, user_id: delivery.user.externalId, event_type: delivery.event.eventType };
}

/**
 * Subject, HTML and text of one email: the event type's template (or the default layout
 * listing the payload), variables HTML-escaped in the HTML part, and the unsubscribe footer
 * in both parts. Composed once, at the first attempt; a retry resends the stored parts.
 */
export async function composeEmail(templates: EmailTemplateStore, delivery: LoadedEmailDelivery): Promise<ComposedEmail> {
  const vars = templateVars(delivery);
  const key = emailTemplateKeyFor(delivery.event.eventType);
  const stored = await templates.get(key);
  if (stored && !stored.ok) return { ok: false, code: stored.code, message: stored.message };
  const rendered = stored ? renderEmail(stored.compiled, vars) : { ok: true as const, ...(await fallbackEmail(delivery.event.eventType, vars)) };
  if (!rendered.ok) {
    const detail = rendered.code === 'missing_vars' ? `missing variables ${(rendered.missing ?? []).join(', ')}` : rendered.message;
    return { ok: false, code: `template_${rendered.code}`, message: `email template ${stored ? key : '(default)'}: ${detail}` };
  }
  return {
    ok: true,
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    templateId: stored?.row.id ?? null,
    templateKey: stored ? key : null,
    vars: vars as Prisma.InputJsonValue,
  };
}

/** The one-click unsubscribe URL for this message (RFC 8058), signed: see @hub/channel-kit link-token. */
export function unsubscribeUrl(settings: ComposeSettings, args: { userId: string; eventType: string; messageId: string }): string {
  const token = signLinkToken(settings.linkSecret, {
    userId: args.userId, channel: 'email', scope: settings.unsubscribeScope === 'all' ? 'all' : args.eventType, messageId: args.messageId,
  });
  return `${settings.publicBaseUrl.replace(/\/$/, '')}/u/${token}`;
}

/** The parts with the visible unsubscribe footer, and the headers every message carries. */
export function finalParts(settings: ComposeSettings, parts: { html: string; text: string }, args: { userId: string; eventType: string; messageId: string; attempt: number; deliveryId: string }) {
  const url = unsubscribeUrl(settings, args);
  const withFooter = withUnsubscribeFooter(parts, url);
  const headers: Record<string, string> = {
    // RFC 2369 + RFC 8058: mailbox providers show an unsubscribe button that POSTs
    // "List-Unsubscribe=One-Click" to the URL; Gmail and Yahoo require it of bulk senders.
    'List-Unsubscribe': `<${url}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'X-Hub-Message-Id': args.messageId,
    'X-Hub-Delivery-Id': args.deliveryId,
  };
  if (settings.sendgridArgs) headers['X-SMTPAPI'] = sendgridUniqueArgsHeader({ hub_message_id: args.messageId, hub_attempt: String(args.attempt) });
  return { html: withFooter.html, text: withFooter.text, headers };
}
