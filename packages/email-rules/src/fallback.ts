import escapeHtml from 'escape-html';
import mjml from 'mjml';
import type { RenderedEmail } from './render.ts';
import { sanitizeSubject } from './subject.ts';

/**
 * The email sent for an event type with no email template: a default MJML layout (compiled
 * once per process) listing the payload's scalar fields, every label and value HTML-escaped.
 * Subject from the event type: 'task.reminder' → 'Task reminder'.
 */
export const FALLBACK_MAX_FIELDS = 50;
export const FALLBACK_MAX_VALUE_LENGTH = 1_000;

const TITLE = '%%HUB_TITLE%%';
const FIELDS = '%%HUB_FIELDS%%';
const LAYOUT = `<mjml>
  <mj-head><mj-title>${TITLE}</mj-title><mj-attributes><mj-all font-family="Helvetica, Arial, sans-serif" /></mj-attributes></mj-head>
  <mj-body background-color="#f4f4f5">
    <mj-section background-color="#ffffff" padding="24px">
      <mj-column>
        <mj-text font-size="20px" font-weight="bold" color="#111827">${TITLE}</mj-text>
        <mj-table font-size="14px" color="#374151">${FIELDS}</mj-table>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;

let layout: Promise<string> | null = null;
function compiledLayout(): Promise<string> {
  layout ??= mjml(LAYOUT, { validationLevel: 'strict', ignoreIncludes: true }).then((r) => r.html);
  layout.catch(() => {
    layout = null;
  });
  return layout;
}

/** 'task.reminder' → 'Task reminder'; 'dueAt' / 'due_at' → 'Due at'. */
export function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[._\-\s]+/g, ' ').trim().toLowerCase();
  return words === '' ? '' : words[0]!.toUpperCase() + words.slice(1);
}

function scalarText(value: unknown): string | null {
  switch (typeof value) {
    case 'string':
      return value.trim() === '' ? null : value;
    case 'number':
      return Number.isFinite(value) ? String(value) : null;
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'object':
      return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : null;
    default:
      return null;
  }
}

/** The payload's scalar fields as [label, value], in key order, bounded. */
export function fallbackFields(payload: Readonly<Record<string, unknown>>): [string, string][] {
  const rows: [string, string][] = [];
  for (const [key, value] of Object.entries(payload ?? {})) {
    const text = scalarText(value);
    const label = humanize(key);
    if (text === null || label === '') continue;
    rows.push([label, [...text].slice(0, FALLBACK_MAX_VALUE_LENGTH).join('')]);
    if (rows.length === FALLBACK_MAX_FIELDS) break;
  }
  return rows;
}

export async function fallbackEmail(eventType: string, payload: Readonly<Record<string, unknown>>): Promise<RenderedEmail> {
  const subject = sanitizeSubject(humanize(eventType)) || 'Notification';
  const rows = fallbackFields(payload);
  const cell = 'style="padding:4px 12px 4px 0;vertical-align:top;"';
  const tableRows = rows.map(([label, value]) => `<tr><td ${cell}><strong>${escapeHtml(label)}</strong></td><td ${cell}>${escapeHtml(value)}</td></tr>`).join('');
  const html = (await compiledLayout()).split(TITLE).join(escapeHtml(subject)).split(FIELDS).join(tableRows);
  const text = [subject, '', ...rows.map(([label, value]) => `${label}: ${value}`)].join('\n');
  return { subject, html, text };
}
