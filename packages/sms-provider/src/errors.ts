/** Why a provider call failed, decided from status codes and error codes, never message text. */
export const PROVIDER_ERROR_KINDS = ['rejected', 'rate_limited', 'auth', 'server', 'timeout', 'network', 'unknown'] as const;
export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly twilioCode: number | null,
    readonly httpStatus: number | null,
    readonly retryAfterMs: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderError';
  }

  /** A closed code for logs and the delivery row: the Twilio code, else the kind. */
  get code(): string {
    return this.twilioCode !== null ? String(this.twilioCode) : this.kind;
  }

  /** Whether trying again later can succeed. A timeout may have been accepted: reconcile first. */
  get retryable(): boolean {
    switch (this.kind) {
      case 'rate_limited':
      case 'server':
      case 'network':
      case 'timeout':
        return true;
      case 'rejected':
      case 'auth':
      case 'unknown':
        return false;
    }
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_SOCKET_CONNECTION_TIMEOUT']);
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED']);

/** Maps whatever the SDK threw (RestException, TwilioServiceException, AxiosError) to a ProviderError. */
export function toProviderError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as { status?: unknown; code?: unknown; message?: unknown; moreInfo?: unknown; response?: { headers?: Record<string, unknown> } };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const status = typeof e.status === 'number' ? e.status : null;
  const numericCode = typeof e.code === 'number' ? e.code : typeof e.code === 'string' && /^\d+$/.test(e.code) ? Number(e.code) : null;
  if (status !== null) {
    if (status === 429 || numericCode === 20429) return new ProviderError('rate_limited', message, numericCode, status, 1_000, { cause: err });
    if (status === 401 || status === 403 || numericCode === 20003) return new ProviderError('auth', message, numericCode, status, null, { cause: err });
    if (status >= 500) return new ProviderError('server', message, numericCode, status, null, { cause: err });
    if (status >= 400) return new ProviderError('rejected', message, numericCode, status, null, { cause: err });
  }
  if (typeof e.code === 'string') {
    if (TIMEOUT_CODES.has(e.code)) return new ProviderError('timeout', message, null, null, null, { cause: err });
    if (NETWORK_CODES.has(e.code)) return new ProviderError('network', message, null, null, null, { cause: err });
  }
  return new ProviderError('unknown', message, numericCode, status, null, { cause: err });
}
