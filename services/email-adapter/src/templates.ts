import type { EmailTemplate, PrismaClient } from '@hub/db';
import { compileEmailTemplate, type CompiledEmailTemplate } from '@hub/email-rules';

/** Event types map to email template keys: the dotted type with underscores, plus aliases. */
const EMAIL_TEMPLATE_ALIASES: Record<string, string> = {
  'task.due': 'task_reminder',
  'brief.ready': 'daily_brief_ready',
  'task.urgent': 'urgent_task',
  'user.welcome': 'welcome_email',
};

export function emailTemplateKeyFor(eventType: string): string {
  return EMAIL_TEMPLATE_ALIASES[eventType] ?? eventType.replace(/[.-]/g, '_');
}

export type StoredTemplate =
  | { ok: true; row: EmailTemplate; compiled: CompiledEmailTemplate }
  | { ok: false; row: EmailTemplate; code: string; message: string };

/**
 * Active email templates by key, compiled once (MJML → responsive HTML costs milliseconds;
 * rendering a compiled template per message costs microseconds) and cached with a TTL; a
 * change announced by PostgreSQL drops the key at once (see app.ts). A template that no
 * longer compiles is cached as such: its deliveries fail with the compiler's message.
 */
export class EmailTemplateStore {
  private cache = new Map<string, { value: StoredTemplate | null; expires: number }>();

  constructor(private readonly prisma: PrismaClient, private readonly ttlMs: number, private readonly now: () => number = Date.now) {}

  async get(key: string): Promise<StoredTemplate | null> {
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.now()) return hit.value;
    const row = await this.prisma.emailTemplate.findFirst({ where: { templateKey: key, isActive: true } });
    const value = row ? await compile(row) : null;
    if (this.ttlMs > 0) this.cache.set(key, { value, expires: this.now() + this.ttlMs });
    return value;
  }

  invalidate(key?: string): void {
    if (key) this.cache.delete(key);
    else this.cache.clear();
  }
}

async function compile(row: EmailTemplate): Promise<StoredTemplate> {
  const compiled = await compileEmailTemplate({
    subject: row.subject,
    html: row.body,
    format: row.format === 'html' ? 'html' : 'mjml',
    text: row.textBody,
    requiredVars: Array.isArray(row.requiredVars) ? (row.requiredVars as string[]) : [],
  });
  if (!compiled.ok) {
    return { ok: false, row, code: 'template_invalid', message: `email template ${row.templateKey}: ${compiled.errors.map((e) => `line ${e.line}: ${e.message}`).join('; ')}` };
  }
  return { ok: true, row, compiled: compiled.template };
}
