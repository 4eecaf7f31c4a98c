import twilio from 'twilio';
import { httpProviderError, ProviderError } from './errors.ts';

/** Node / axios error codes of a request that never got an answer. */
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);
/** Refused before anything was sent: the provider cannot have acted on it. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_SOCKET_CONNECTION_TIMEOUT']);
/** Cut during the exchange: the request may have been processed. */
const CUT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

interface ServiceExceptionLike {
  status: number;
  code: number;
  type: string;
  title: string;
}

/** The SDK's TwilioServiceException (RFC 9457 body) is not exported from the package root. */
function isServiceException(err: unknown): err is Error & ServiceExceptionLike {
  if (!(err instanceof Error)) return false;
  const e = err as Error & Partial<ServiceExceptionLike>;
  return typeof e.status === 'number' && typeof e.code === 'number' && typeof e.type === 'string' && typeof e.title === 'string';
}

const numericCode = (code: unknown): number | null =>
  typeof code === 'number' && Number.isInteger(code) ? code : typeof code === 'string' && /^\d+$/.test(code) ? Number(code) : null;

/**
 * Maps whatever a Twilio SDK call threw to a ProviderError:
 * - RestException / TwilioServiceException (an HTTP error answer): by Twilio code, then status;
 * - AxiosError or Node system error (no answer): by its `code` — timeout, network (and whether
 *   the request may have reached the provider);
 * - SyntaxError (a 2xx body that is not JSON): unexpected_response.
 */
export function toProviderError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof twilio.RestException) {
    return httpProviderError(err.status, numericCode(err.code), err.message || `HTTP ${err.status}`, err);
  }
  if (isServiceException(err)) return httpProviderError(err.status, err.code, err.message || err.title, err);
  if (err instanceof SyntaxError) return new ProviderError({ code: 'unexpected_response', message: `unparseable provider answer: ${err.message}`, cause: err });
  const sysCode = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof sysCode === 'string') {
    if (TIMEOUT_CODES.has(sysCode)) return new ProviderError({ code: 'timeout', message, outcomeUnknown: true, cause: err });
    if (NOT_SENT_CODES.has(sysCode)) return new ProviderError({ code: 'network', message, outcomeUnknown: false, cause: err });
    if (CUT_CODES.has(sysCode)) return new ProviderError({ code: 'network', message, outcomeUnknown: true, cause: err });
  }
  return new ProviderError({ code: 'unknown', message, cause: err });
}
