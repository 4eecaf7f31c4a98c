import type { NotificationDelivery, NotificationEvent, Prisma, SmsMessage, User } from '@hub/db';
import { characterCount, countSegments, fallbackText, generateShortCode, renderTemplate, replaceLinks, withOptOutFooter } from '@hub/sms-rules';
import { templateKeyFor, type TemplateStore } from './template-store.ts';
import type { DeliverSettings } from './deliver.ts';

/** What composing reads: the template cache, and whether a number was texted before (footer 'first'). */
export interface ComposeDeps {
  hot: { sentToPhoneBefore(phoneNumber: string): Promise<boolean> };
  templates: Pick<TemplateStore, 'get'>;
  settings: Pick<DeliverSettings, 'publicBaseUrl' | 'footer'>;
  randomBytes: (n: number) => Uint8Array;
}

export type Composed =
  | {
      ok: true;
      text: string;
      templateId: string | null;
      templateKey: string | null;
      vars: Prisma.InputJsonValue;
      segments: number;
      encoding: string;
      links: { code: string; url: string }[];
    }
  | { ok: false; code: string; message: string };

/**
 * Builds the text of one SMS: the event type's template (or a readable fallback), links
 * replaced by tracked short links, and the opt-out footer where configured.
 *
 * A template's max_length bounds what the template produces as the recipient reads it:
 * the rendered text with its links already shortened (a 300-character signed URL in a
 * variable becomes a ~40-character short link, and a short URL may grow). The opt-out
 * footer is not counted: it is the hub's compliance text, added to the first message to a
 * number only, and a template must not fail for one recipient and pass for the next. The
 * segment count is always of the full text, footer included.
 */
export async function composeMessage(
  deps: ComposeDeps,
  args: { delivery: NotificationDelivery & { event: NotificationEvent; user: User }; phoneNumber: string },
): Promise<Composed> {
  const { event, user } = args.delivery;
  const payload = (event.payload ?? {}) as Record<string, unknown>;
  // An ad-hoc send (POST /v1/sends): its own text, or a template named by key with its vars.
  const adhoc = adhocSend(event.eventType, payload);
  const vars: Record<string, unknown> = { ...(adhoc ? adhoc.vars : payload), user_id: user.externalId, event_type: event.eventType };
  const templateKey = adhoc ? adhoc.templateKey : templateKeyFor(event.eventType);
  const template = templateKey === null ? null : await deps.templates.get(templateKey);
  if (adhoc && templateKey !== null && !template) return { ok: false, code: 'template_not_found', message: `no active SMS template ${templateKey}` };
  let text: string;
  if (template) {
    // max_length is checked below, once links are shortened. A missing optional variable
    // renders as "" (the seeds' rule); a missing required one fails the delivery.
    const rendered = renderTemplate(template.messageTemplate, vars, {
      requiredVars: Array.isArray(template.requiredVars) ? (template.requiredVars as string[]) : [],
      missing: 'empty',
    });
    if (!rendered.ok) {
      const e = rendered.error;
      const message =
        e.code === 'missing_vars' ? `template ${templateKey}: missing variables ${e.missing.join(', ')}`
        : e.code === 'too_long' ? `template ${templateKey}: rendered text is ${e.length} characters, max ${e.maxLength}`
        : `template ${templateKey}: rendered text is empty`;
      return { ok: false, code: `template_${e.code}`, message };
    }
    text = rendered.text;
  } else if (adhoc?.text !== undefined) {
    text = adhoc.text.trim();
  } else {
    text = fallbackText(event.eventType, payload);
  }

  const links: { code: string; url: string }[] = [];
  const base = deps.settings.publicBaseUrl.replace(/\/$/, '');
  text = replaceLinks(text, (url) => {
    const code = generateShortCode(deps.randomBytes);
    links.push({ code, url });
    return `${base}/l/${code}`;
  });
  if (template) {
    const length = characterCount(text);
    if (length > template.maxLength) {
      return { ok: false, code: 'template_too_long', message: `template ${templateKey}: rendered text (links shortened) is ${length} characters, max ${template.maxLength}` };
    }
  }

  if (deps.settings.footer !== 'never') {
    const first = deps.settings.footer === 'always' || !(await deps.hot.sentToPhoneBefore(args.phoneNumber));
    if (first) text = withOptOutFooter(text);
  }
  const info = countSegments(text);
  return {
    ok: true,
    text,
    templateId: template?.id ?? null,
    templateKey: template ? templateKey : null,
    vars: vars as Prisma.InputJsonValue,
    segments: info.segments,
    encoding: info.encoding,
    links,
  };
}

/** A retry sends the stored text of the first attempt again (its links are already recorded). */
export function reuse(existing: Pick<SmsMessage, 'messageContent' | 'templateId' | 'templateKey' | 'templateVars' | 'segments' | 'encoding'>): Composed {
  return {
    ok: true,
    text: existing.messageContent,
    templateId: existing.templateId,
    templateKey: existing.templateKey,
    vars: (existing.templateVars ?? {}) as Prisma.InputJsonValue,
    segments: existing.segments,
    encoding: existing.encoding,
    links: [],
  };
}

/** Event type of ad-hoc sends (services/gateway routes/sends.ts). */
export const ADHOC_SEND_TYPE = 'sms.send';

interface AdhocSend {
  text?: string;
  templateKey: string | null;
  vars: Record<string, unknown>;
  rawNumber: boolean;
}

/** The `send` object of an ad-hoc send's payload, or null for any other event. */
export function adhocSend(eventType: string, payload: Record<string, unknown>): AdhocSend | null {
  if (eventType !== ADHOC_SEND_TYPE) return null;
  const send = payload.send;
  if (typeof send !== 'object' || send === null) return null;
  const s = send as Record<string, unknown>;
  const vars = typeof s.vars === 'object' && s.vars !== null ? (s.vars as Record<string, unknown>) : {};
  return {
    ...(typeof s.text === 'string' ? { text: s.text } : {}),
    templateKey: typeof s.templateKey === 'string' ? s.templateKey : null,
    vars,
    rawNumber: s.rawNumber === true,
  };
}
