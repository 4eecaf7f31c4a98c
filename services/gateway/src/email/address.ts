import type { FastifyReply } from 'fastify';
import { Prisma } from '@hub/db';
import { emailLookupKey, normalizeEmailAddress } from '@hub/email-rules';
import { sendError } from '../plugins/errors.ts';

/** An address normalised at the edge, or null after answering 400 invalid_email with the reason. */
export function normalizedEmail(reply: FastifyReply, raw: string, field = 'body.address'): { address: string; key: string; domain: string } | null {
  const parsed = normalizeEmailAddress(raw);
  if (parsed.ok) return { address: parsed.address, key: emailLookupKey(parsed.address), domain: parsed.domain };
  void sendError(reply, 400, 'invalid_email', parsed.message, { fields: [{ field, message: parsed.message }] });
  return null;
}

export const isUniqueViolation = (err: unknown) => err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';

export const EMAIL_IN_USE_MESSAGE = 'this email address is already verified by another user';
