import { codeForReply } from './classify.ts';
import { EmailProviderError } from './errors.ts';
import type { EmailProvider, EmailSendResult, OutgoingEmail } from './port.ts';
import { parseQueueId } from './queue-id.ts';
import { parseSmtpReply } from './smtp-reply.ts';
import { assertSendable } from './validate.ts';

/**
 * An in-memory EmailProvider for callers' unit tests. It validates like the SMTP adapter,
 * records what it accepts, and fails on cue with the errors the SMTP adapter produces for
 * the same relay behaviour (the same reply classification; test/provider-contract.ts runs
 * against both).
 */

/** How the fake relay answers a send to one recipient. */
export type MemoryRelayScript =
  /** The relay answers `reply` (e.g. '550 5.1.1 no such user') to RCPT TO, MAIL FROM, or after the body (DATA). */
  | { kind: 'reply'; at: 'MAIL FROM' | 'RCPT TO' | 'DATA'; reply: string }
  /** The connection breaks before the envelope (nothing sent) or after the whole body, before the final reply (the relay has it). */
  | { kind: 'drop'; afterBody: boolean };

export interface MemoryReceivedEmail {
  mail: OutgoingEmail;
  /** The relay's queue id; null when the connection dropped before it answered. */
  queueId: string | null;
  /** False when the sender never got the 250 (a drop after the body). */
  acknowledged: boolean;
}

export interface MemoryEmailProvider extends EmailProvider {
  /** Every message the fake relay received, in order (including those it could not acknowledge). */
  readonly received: readonly MemoryReceivedEmail[];
  /** Scripts sends to `address` (compared case-insensitively); null clears the script. */
  script(address: string, behaviour: MemoryRelayScript | null): void;
  /** While down, every call fails as a relay that cannot be reached (connection_failed). */
  setDown(down: boolean): void;
  /** Clears scripts, the down flag and what was received. */
  reset(): void;
}

export function createMemoryEmailProvider(): MemoryEmailProvider {
  const received: MemoryReceivedEmail[] = [];
  const scripts = new Map<string, MemoryRelayScript>();
  let down = false;
  let closed = false;
  let seq = 0;

  const unreachable = (why: string) => new EmailProviderError({ code: 'connection_failed', message: why });
  const replyError = (at: string, reply: string) => {
    const parsed = parseSmtpReply(reply);
    if (!parsed || parsed.code < 400) throw new Error(`memory provider: ${JSON.stringify(reply)} is not an SMTP failure reply`);
    return new EmailProviderError({ code: codeForReply(parsed, at), message: `${at} failed: ${reply}`, smtpCode: parsed.code, enhancedStatus: parsed.enhanced, response: reply });
  };

  return {
    received,
    script(address, behaviour) {
      if (behaviour === null) scripts.delete(address.toLowerCase());
      else scripts.set(address.toLowerCase(), behaviour);
    },
    setDown(value) {
      down = value;
    },
    reset() {
      scripts.clear();
      down = false;
      received.length = 0;
    },

    async send(mail: OutgoingEmail): Promise<EmailSendResult> {
      assertSendable(mail);
      if (closed) throw unreachable('the provider was closed');
      if (down) throw unreachable('connect ECONNREFUSED (memory provider is down)');
      const behaviour = scripts.get(mail.to.trim().toLowerCase());
      if (behaviour?.kind === 'drop' && !behaviour.afterBody) throw unreachable('Connection closed unexpectedly');
      if (behaviour?.kind === 'reply' && behaviour.at !== 'DATA') throw replyError(behaviour.at, behaviour.reply);
      const queueId = `MEM${String(++seq).padStart(8, '0')}`;
      if (behaviour?.kind === 'drop') {
        received.push({ mail, queueId: null, acknowledged: false });
        throw new EmailProviderError({ code: 'outcome_unknown', message: 'Connection closed unexpectedly after the message body' });
      }
      if (behaviour?.kind === 'reply') throw replyError('DATA', behaviour.reply);
      const response = `250 2.0.0 Ok: queued as ${queueId}`;
      received.push({ mail, queueId: parseQueueId(response), acknowledged: true });
      return { messageId: mail.messageId, queueId: parseQueueId(response), response };
    },

    async verify() {
      if (closed) throw unreachable('the provider was closed');
      if (down) throw unreachable('connect ECONNREFUSED (memory provider is down)');
    },

    async close() {
      closed = true;
    },
  };
}
