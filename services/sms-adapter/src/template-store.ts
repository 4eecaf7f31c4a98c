import type { SmsTemplate } from '@hub/db';

/** PostgreSQL channel a trigger on sms_templates notifies with the changed template_key. */
export const TEMPLATE_CHANGE_CHANNEL = 'hub_template_changed';

/**
 * Active templates by key, cached in-process with a TTL (the only state a process keeps).
 * Every change of sms_templates that the adapter can see (insert, delete, an update of
 * template_key, message_template, required_vars, max_length or is_active; not the usage
 * count a send bumps) is announced on TEMPLATE_CHANGE_CHANNEL and invalidates the key at
 * once (see buildSmsAdapter); the TTL bounds staleness if that connection is down.
 * A TTL of 0 disables the cache.
 */
/** What the store reads: a PrismaClient, or a fake in unit tests. */
export interface TemplateSource {
  smsTemplate: { findFirst(args: { where: { templateKey: string; isActive: true } }): PromiseLike<SmsTemplate | null> };
}

export class TemplateStore {
  private cache = new Map<string, { template: SmsTemplate | null; expires: number }>();

  constructor(
    private readonly prisma: TemplateSource,
    private readonly ttlMs: number,
    /** Milliseconds since the epoch (injected by tests). */
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<SmsTemplate | null> {
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.now()) return hit.template;
    const template = await this.prisma.smsTemplate.findFirst({ where: { templateKey: key, isActive: true } });
    if (this.ttlMs > 0) this.cache.set(key, { template, expires: this.now() + this.ttlMs });
    return template;
  }

  invalidate(key?: string): void {
    if (key) this.cache.delete(key);
    else this.cache.clear();
  }
}

/** Event types map to template keys: explicit defaults, then the dotted type with underscores. */
export const DEFAULT_TEMPLATE_KEYS: Record<string, string> = {
  'task.reminder': 'task_reminder',
  'task.due': 'task_reminder',
  'brief.ready': 'daily_brief_ready',
  'daily_brief.ready': 'daily_brief_ready',
  'task.urgent': 'urgent_task',
  'user.welcome': 'welcome_sms',
  'phone.verified': 'welcome_sms',
};

export function templateKeyFor(eventType: string): string {
  return DEFAULT_TEMPLATE_KEYS[eventType] ?? eventType.replace(/[.-]/g, '_');
}
