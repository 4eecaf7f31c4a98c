import { renderTemplate } from '@hub/sms-rules';

/**
 * An in-app item from its template (inapp_templates: title, body, action URL, each a
 * `{{var}}` template with @hub/sms-rules semantics) or, with no template, a default: the
 * event type as the title and the payload's `message` (or its fields) as the body.
 */
export interface InappTemplate {
  templateKey: string;
  title: string;
  body: string;
  actionUrl: string | null;
  requiredVars: string[];
}

export interface InappContent {
  title: string;
  body: string;
  actionUrl: string | null;
}

export type RenderedItem = { ok: true; content: InappContent } | { ok: false; code: string; message: string };

export const TITLE_MAX = 500;
export const BODY_MAX = 10_000;

const ALIASES: Record<string, string> = { 'task.due': 'task_reminder', 'brief.ready': 'daily_brief_ready', 'task.urgent': 'urgent_task', 'user.welcome': 'welcome_email' };

/** Template key of an event type: the email rule (dots and dashes as underscores, the same aliases). */
export function inappTemplateKeyFor(eventType: string): string {
  return ALIASES[eventType] ?? eventType.replace(/[.-]/g, '_');
}

/** An action URL must be http(s) or a path on the embedding app ("/tasks/42"); anything else (javascript:, data:) is refused. */
export function safeActionUrl(url: string): boolean {
  if (/^\/(?!\/)/.test(url)) return !/[\s\\]/.test(url);
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    return false;
  }
}

function humanise(eventType: string): string {
  const words = eventType.replace(/[._-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function defaultContent(eventType: string, vars: Record<string, unknown>): InappContent {
  const message = typeof vars.message === 'string' ? vars.message : null;
  const title = typeof vars.title === 'string' ? vars.title : humanise(eventType);
  const body = message ?? Object.entries(vars)
    .filter(([k, v]) => !['user_id', 'event_type', 'title', 'url', 'action_url'].includes(k) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'))
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${String(v)}`).join('\n');
  const link = typeof vars.action_url === 'string' ? vars.action_url : typeof vars.url === 'string' ? vars.url : null;
  return { title: title.slice(0, TITLE_MAX), body: body.slice(0, BODY_MAX), actionUrl: link && safeActionUrl(link) ? link : null };
}

export function renderItem(template: InappTemplate | null, eventType: string, vars: Record<string, unknown>): RenderedItem {
  if (!template) return { ok: true, content: defaultContent(eventType, vars) };
  const where = `in-app template ${template.templateKey}`;
  const title = renderTemplate(template.title, vars, { requiredVars: template.requiredVars, maxLength: TITLE_MAX });
  if (!title.ok) return failure(where, 'title', title.error);
  const body = renderTemplate(template.body, vars, { maxLength: BODY_MAX });
  if (!body.ok) return failure(where, 'body', body.error);
  let actionUrl: string | null = null;
  if (template.actionUrl) {
    const url = renderTemplate(template.actionUrl, vars, { maxLength: 2_000 });
    if (!url.ok) return failure(where, 'action URL', url.error);
    if (!safeActionUrl(url.text)) return { ok: false, code: 'template_unsafe_url', message: `${where}: the action URL must be http(s) or a path` };
    actionUrl = url.text;
  }
  return { ok: true, content: { title: title.text, body: body.text, actionUrl } };
}

function failure(where: string, part: string, error: { code: string; missing?: string[] }): RenderedItem {
  const detail = error.code === 'missing_vars' ? `missing variables ${(error.missing ?? []).join(', ')}` : error.code;
  return { ok: false, code: `template_${error.code}`, message: `${where} (${part}): ${detail}` };
}
