import { assertNever } from './types.ts';

export const SANDBOX_ERROR_CODES = ['message_not_found', 'no_webhook_url', 'webhook_failed', 'closed'] as const;
export type SandboxErrorCode = (typeof SANDBOX_ERROR_CODES)[number];

/** Thrown by postEvent(); the code says why (never classify by the message text). */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  constructor(readonly code: SandboxErrorCode, message: string) {
    super(message);
  }
}

export function httpStatusOf(code: SandboxErrorCode): number {
  switch (code) {
    case 'message_not_found':
      return 404;
    case 'no_webhook_url':
      return 409;
    case 'webhook_failed':
      return 502;
    case 'closed':
      return 503;
    default:
      return assertNever(code);
  }
}
