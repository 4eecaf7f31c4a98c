import type { FastifyInstance } from 'fastify';
import type { PrismaClient } from '@hub/db';
import { sendError } from '../plugins/errors.ts';

/**
 * Tracked short links: GET /l/:code counts the click and redirects (302). HEAD (Fastify's
 * automatic HEAD route runs this handler too) answers the same status and headers without
 * counting: link previews, crawlers and uptime checks send HEAD, and a HEAD is not a click.
 */
export function registerLinkRoutes(app: FastifyInstance, deps: { prisma: PrismaClient }): void {
  app.get<{ Params: { code: string } }>('/l/:code', { schema: { hide: true } as object }, async (request, reply) => {
    const { code } = request.params;
    if (!/^[A-Za-z0-9]{6,32}$/.test(code)) return sendError(reply, 404, 'link_not_found', 'no such link');
    const rows = request.method === 'HEAD'
      ? await deps.prisma.$queryRaw<{ destination_url: string }[]>`SELECT destination_url FROM sms_click_tracking WHERE short_code = ${code}`
      : await deps.prisma.$queryRaw<{ destination_url: string }[]>`
      UPDATE sms_click_tracking
         SET click_count = click_count + 1, first_clicked_at = COALESCE(first_clicked_at, now()), last_clicked_at = now()
       WHERE short_code = ${code}
      RETURNING destination_url`;
    const target = rows[0];
    if (!target) return sendError(reply, 404, 'link_not_found', 'no such link');
    return reply.code(302).header('cache-control', 'no-store').redirect(target.destination_url, 302);
  });
}
