import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmailProviderError, type EmailErrorCode, type EmailProvider, type OutgoingEmail } from '../src/index.ts';

/**
 * The EmailProvider contract, run against every adapter (the SMTP adapter through a test
 * relay, the in-memory fake), so they cannot drift apart. The harness scripts how its relay
 * answers a recipient and tells what the relay received.
 */
export const RELAY_BEHAVIOURS = [
  'accept', 'unknown_user', 'policy_block', 'greylist', 'temp_fail_after_body', 'too_big_after_body', 'drop_before_body', 'drop_after_body',
] as const;
export type RelayBehaviour = (typeof RELAY_BEHAVIOURS)[number];

export interface ContractReceived {
  envelopeFrom: string | null;
  envelopeTo: string[];
  /** Lower-cased header names. */
  headers: Map<string, string>;
  /** Whether the relay answered it with a 250. */
  acknowledged: boolean;
}

export interface EmailContractHarness {
  provider: EmailProvider;
  /** A fresh recipient address the relay answers with `behaviour`. */
  recipient(behaviour: RelayBehaviour): string;
  /** What the relay received with this Message-ID (without <>), or null. */
  received(messageId: string): ContractReceived | null;
  /** A provider of the same kind whose relay cannot be reached (closed by the suite). */
  unreachable(): EmailProvider;
  reset?(): void | Promise<void>;
  close(): Promise<void>;
}

let seq = 0;
const messageId = () => `${Date.now().toString(36)}-${++seq}@hub.test`;
export const mailTo = (to: string, over: Partial<OutgoingEmail> = {}): OutgoingEmail => ({
  messageId: messageId(),
  from: 'Hub <noreply@hub.test>',
  to,
  subject: 'Task reminder: Pay rent',
  html: '<p>Your task <b>Pay rent</b> is due.</p>',
  text: 'Your task Pay rent is due.',
  headers: {
    'X-Hub-Message-Id': 'msg-1',
    'List-Unsubscribe': '<https://hub.test/u/abc>, <mailto:unsubscribe@hub.test?subject=abc>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
  ...over,
});

async function rejection(p: Promise<unknown>): Promise<EmailProviderError> {
  const err = await p.then(
    () => {
      throw new Error('expected an EmailProviderError, the call succeeded');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EmailProviderError);
  return err as EmailProviderError;
}

const shape = (e: EmailProviderError) => ({ code: e.code, retryable: e.retryable, outcomeUnknown: e.outcomeUnknown });

export function emailProviderContract(name: string, setup: () => Promise<EmailContractHarness>): void {
  describe(`EmailProvider contract: ${name}`, () => {
    let h: EmailContractHarness;
    beforeAll(async () => {
      h = await setup();
    });
    afterEach(async () => {
      await h.reset?.();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('sends: our Message-ID, the given headers, the envelope; a queue id from the 250', async () => {
      const mail = mailTo(h.recipient('accept'));
      const result = await h.provider.send(mail);
      expect(result.messageId).toBe(mail.messageId);
      expect(result.response).toMatch(/^250 /);
      expect(result.queueId).toMatch(/^[A-Za-z0-9]+$/);
      const got = h.received(mail.messageId);
      expect(got).not.toBeNull();
      expect(got?.acknowledged).toBe(true);
      expect(got?.envelopeFrom).toBe('noreply@hub.test');
      expect(got?.envelopeTo).toEqual([mail.to]);
      expect(got?.headers.get('message-id')).toBe(`<${mail.messageId}>`);
      expect(got?.headers.get('subject')).toBe(mail.subject);
      expect(got?.headers.get('x-hub-message-id')).toBe('msg-1');
      expect(got?.headers.get('list-unsubscribe')).toBe(mail.headers['List-Unsubscribe']);
      expect(got?.headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    });

    it('verify resolves against a reachable relay', async () => {
      await h.provider.verify();
    });

    it.each([
      ['unknown_user', 'recipient_rejected', 550, '5.1.1', false],
      ['policy_block', 'message_rejected', 550, '5.7.1', false],
      ['greylist', 'rate_limited', 451, '4.7.1', true],
      ['temp_fail_after_body', 'temporary_failure', 451, '4.3.0', true],
      ['too_big_after_body', 'message_rejected', 552, '5.3.4', false],
    ] as const)('%s → %s (%i %s)', async (behaviour, code: EmailErrorCode, smtpCode, enhanced, retryable) => {
      const e = await rejection(h.provider.send(mailTo(h.recipient(behaviour))));
      expect(shape(e)).toEqual({ code, retryable, outcomeUnknown: false });
      expect({ smtpCode: e.smtpCode, enhancedStatus: e.enhancedStatus }).toEqual({ smtpCode, enhancedStatus: enhanced });
      expect(e.response).toMatch(new RegExp(`^${smtpCode} ${enhanced.replace(/\./g, '\\.')}`));
      if (code === 'rate_limited') expect(e.retryAfterMs).toBeGreaterThan(0);
    });

    it('a drop before the body: connection_failed, nothing received', async () => {
      const mail = mailTo(h.recipient('drop_before_body'));
      expect(shape(await rejection(h.provider.send(mail)))).toEqual({ code: 'connection_failed', retryable: true, outcomeUnknown: false });
      expect(h.received(mail.messageId)).toBeNull();
    });

    it('a drop after the whole body, before the reply: outcome_unknown — and the relay has the message', async () => {
      const mail = mailTo(h.recipient('drop_after_body'));
      expect(shape(await rejection(h.provider.send(mail)))).toEqual({ code: 'outcome_unknown', retryable: true, outcomeUnknown: true });
      expect(h.received(mail.messageId)?.acknowledged).toBe(false);
    });

    it('keeps working after failures', async () => {
      await rejection(h.provider.send(mailTo(h.recipient('unknown_user'))));
      await rejection(h.provider.send(mailTo(h.recipient('drop_after_body'))));
      const mail = mailTo(h.recipient('accept'));
      await h.provider.send(mail);
      expect(h.received(mail.messageId)?.acknowledged).toBe(true);
    });

    it.each([
      ['a messageId with <>', { messageId: '<x@hub.test>' }],
      ['a messageId without @', { messageId: 'nohost' }],
      ['an empty subject', { subject: ' ' }],
      ['a subject with CR/LF', { subject: 'Hi\r\nBcc: victim@example.com' }],
      ['a header value with LF', { headers: { 'X-Hub-Message-Id': 'a\nBcc: victim@example.com' } }],
      ['a header overriding From', { headers: { From: 'evil@example.com' } }],
      ['an empty text part', { text: '' }],
      ['an empty html part', { html: '' }],
    ] as const)('refuses %s: invalid_message, nothing sent', async (_what, over) => {
      const mail = mailTo(h.recipient('accept'), over);
      expect(shape(await rejection(h.provider.send(mail)))).toEqual({ code: 'invalid_message', retryable: false, outcomeUnknown: false });
      expect(h.received(mail.messageId)).toBeNull();
    });

    describe('an unreachable relay', () => {
      let down: EmailProvider;
      beforeAll(() => {
        down = h.unreachable();
      });
      afterAll(async () => {
        await down.close();
      });

      it('send and verify: connection_failed, retryable, outcome known', async () => {
        expect(shape(await rejection(down.send(mailTo(h.recipient('accept')))))).toEqual({ code: 'connection_failed', retryable: true, outcomeUnknown: false });
        expect(shape(await rejection(down.verify()))).toEqual({ code: 'connection_failed', retryable: true, outcomeUnknown: false });
      });
    });
  });
}
