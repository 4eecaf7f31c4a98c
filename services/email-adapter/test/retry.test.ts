import { describe, expect, it } from 'vitest';
import { EMAIL_ERROR_CODES } from '@hub/email-provider';
import { messageIdHeader, parseMessageIdHeader } from '../src/attempts.ts';
import { emailRetryDecision } from '../src/retry.ts';

const settings = { baseDelayMs: 1_000, maxDelayMs: 10_000 };
const decide = (code: Parameters<typeof emailRetryDecision>[0]['code'], attempt = 1, random = 0.5) =>
  emailRetryDecision({ code, attempt, maxAttempts: 4, random: () => random, settings });

describe('email retry decision (by error code alone)', () => {
  it('fails a refused recipient at once and marks the address undeliverable; a refused message fails without', () => {
    expect(decide('recipient_rejected')).toEqual({ action: 'fail', undeliverable: true });
    expect(decide('message_rejected')).toEqual({ action: 'fail', undeliverable: false });
    expect(decide('invalid_message')).toEqual({ action: 'fail', undeliverable: false });
    expect(decide('unknown')).toEqual({ action: 'fail', undeliverable: false });
  });

  it('retries temporary failures with exponential backoff and jitter, capped, until the last attempt', () => {
    expect(decide('temporary_failure', 1)).toEqual({ action: 'retry', delayMs: 1_000 });
    expect(decide('temporary_failure', 3)).toEqual({ action: 'retry', delayMs: 4_000 });
    expect(decide('soft_bounce', 3, 0)).toEqual({ action: 'retry', delayMs: 3_200 });
    expect(emailRetryDecision({ code: 'connection_failed', attempt: 3, maxAttempts: 9, random: () => 1, settings: { baseDelayMs: 5_000, maxDelayMs: 10_000 } })).toEqual({ action: 'retry', delayMs: 12_000 });
    expect(decide('rate_limited', 4)).toEqual({ action: 'fail', undeliverable: false });
  });

  it('waits at least the provider\'s retry-after', () => {
    expect(emailRetryDecision({ code: 'rate_limited', attempt: 1, maxAttempts: 4, retryAfterMs: 60_000, random: () => 0.5, settings })).toEqual({ action: 'retry', delayMs: 60_000 });
  });

  it('has a decision for every provider error code', () => {
    for (const code of EMAIL_ERROR_CODES) expect(['retry', 'fail']).toContain(decide(code).action);
  });
});

describe('our Message-ID', () => {
  it('carries the message id and the attempt, and parses back with or without brackets', () => {
    const id = '0b6f1c9e-3f0e-4f57-9d7e-1f3c5a2b8e11';
    const header = messageIdHeader(id, 2, 'hub.example.com');
    expect(header).toBe(`${id}.2@hub.example.com`);
    expect(parseMessageIdHeader(header)).toEqual({ messageId: id, attempt: 2 });
    expect(parseMessageIdHeader(`<${header.toUpperCase()}>`)).toEqual({ messageId: id, attempt: 2 });
    expect(parseMessageIdHeader('<random@gmail.com>')).toBeNull();
  });
});
