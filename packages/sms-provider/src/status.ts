import type { MessageInstance, MessageStatus } from 'twilio/lib/rest/api/v2010/account/message.js';
import { assertNever } from './assert-never.ts';
import { ProviderError } from './errors.ts';
import { VERIFICATION_STATUSES, type ProviderMessage, type ProviderMessageStatus, type VerificationStatus } from './port.ts';

/**
 * The SDK's MessageStatus → ours. Exhaustive: a status added to the SDK's type is a compile
 * error here; one that slips past the types at runtime is an `unexpected_response`.
 */
export function messageStatus(status: MessageStatus): ProviderMessageStatus {
  switch (status) {
    case 'accepted':
    case 'scheduled':
    case 'canceled':
    case 'queued':
    case 'sending':
    case 'sent':
    case 'failed':
    case 'delivered':
    case 'undelivered':
    case 'receiving':
    case 'received':
    case 'read':
    case 'partially_delivered':
      return status;
    default:
      return assertNever(status, 'Twilio message status');
  }
}

export function verificationStatus(status: string): VerificationStatus {
  const known = VERIFICATION_STATUSES.find((s) => s === status);
  if (!known) throw new ProviderError({ code: 'unexpected_response', message: `unknown verification status ${JSON.stringify(status)}` });
  return known;
}

export function toProviderMessage(m: MessageInstance): ProviderMessage {
  let status: ProviderMessageStatus;
  try {
    status = messageStatus(m.status);
  } catch (err) {
    throw new ProviderError({ code: 'unexpected_response', message: `unknown message status ${JSON.stringify(m.status)} for ${m.sid}`, cause: err });
  }
  const segments = m.numSegments === null || m.numSegments === undefined ? null : Number(m.numSegments);
  return {
    sid: m.sid,
    status,
    to: m.to,
    from: m.from ?? null,
    body: m.body ?? '',
    segments: segments === null || Number.isNaN(segments) ? null : segments,
    errorCode: typeof m.errorCode === 'number' && !Number.isNaN(m.errorCode) ? m.errorCode : null,
    errorMessage: m.errorMessage ?? null,
    messagingServiceSid: m.messagingServiceSid ?? null,
    price: m.price ?? null,
    priceUnit: m.priceUnit ?? null,
    dateCreated: validDate(m.dateCreated),
    dateSent: validDate(m.dateSent),
    dateUpdated: validDate(m.dateUpdated),
  };
}

const validDate = (d: Date | null | undefined): Date | null => (d instanceof Date && !Number.isNaN(d.getTime()) ? d : null);
