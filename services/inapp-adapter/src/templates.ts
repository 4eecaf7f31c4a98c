import type { PrismaClient } from '@hub/db';
import type { InappTemplate } from './render.ts';

/** Active in-app templates by key, cached with a TTL (0: read every time). */
export class InappTemplateStore {
  private cache = new Map<string, { value: InappTemplate | null; expires: number }>();

  constructor(private readonly prisma: PrismaClient, private readonly ttlMs: number, private readonly now: () => number = Date.now) {}

  async get(key: string): Promise<InappTemplate | null> {
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.now()) return hit.value;
    const rows = await this.prisma.$queryRaw<{ template_key: string; title: string; body: string; action_url: string | null; required_vars: unknown }[]>`
      SELECT template_key, title, body, action_url, required_vars FROM inapp_templates WHERE template_key = ${key} AND is_active`;
    const row = rows[0];
    const value = row
      ? { templateKey: row.template_key, title: row.title, body: row.body, actionUrl: row.action_url, requiredVars: Array.isArray(row.required_vars) ? (row.required_vars as string[]) : [] }
      : null;
    if (this.ttlMs > 0) this.cache.set(key, { value, expires: this.now() + this.ttlMs });
    return value;
  }
}
