import { describe, expect, it } from 'vitest';
import { createMemoryEmailProvider, EmailProviderError, type MemoryEmailProvider, type MemoryRelayScript } from '../src/index.ts';
import { emailProviderContract, mailTo, type RelayBehaviour } from './provider-contract.ts';

const SCRIPTS: Record<RelayBehaviour, MemoryRelayScript | null> = {
  accept: null,
  unknown_user: { kind: 'reply', at: 'RCPT TO', reply: '550 5.1.1 <x>: Recipient address rejected: User unknown' },
  policy_block: { kind: 'reply', at: 'RCPT TO', reply: '550 5.7.1 Relaying denied' },
  greylist: { kind: 'reply', at: 'RCPT TO', reply: '451 4.7.1 Greylisted, try again in 5 minutes' },
  temp_fail_after_body: { kind: 'reply', at: 'DATA', reply: '451 4.3.0 Temporary local problem, try again later' },
  too_big_after_body: { kind: 'reply', at: 'DATA', reply: '552 5.3.4 Message size exceeds fixed limit' },
  drop_before_body: { kind: 'drop', afterBody: false },
  drop_after_body: { kind: 'drop', afterBody: true },
};

const envelopeAddress = (from: string) => /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from.trim();

emailProviderContract('in-memory fake', async () => {
  const provider: MemoryEmailProvider = createMemoryEmailProvider();
  let n = 0;
  return {
    provider,
    recipient(behaviour) {
      const address = `${behaviour}+${++n}@example.test`;
      provider.script(address, SCRIPTS[behaviour]);
      return address;
    },
    received(messageId) {
      const r = provider.received.find((x) => x.mail.messageId === messageId);
      if (!r) return null;
      const headers = new Map<string, string>([
        ['message-id', `<${r.mail.messageId}>`], ['from', r.mail.from], ['to', r.mail.to], ['subject', r.mail.subject],
        ...Object.entries(r.mail.headers).map(([k, v]) => [k.toLowerCase(), v] as [string, string]),
      ]);
      return { envelopeFrom: envelopeAddress(r.mail.from), envelopeTo: [r.mail.to], headers, acknowledged: r.acknowledged };
    },
    unreachable() {
      const down = createMemoryEmailProvider();
      down.setDown(true);
      return down;
    },
    close: () => provider.close(),
  };
});

describe('memory provider specifics', () => {
  it('a script is per address, case-insensitive, and cleared by null or reset', async () => {
    const p = createMemoryEmailProvider();
    p.script('Someone@Example.test', SCRIPTS.unknown_user);
    await expect(p.send(mailTo('someone@example.test'))).rejects.toMatchObject({ code: 'recipient_rejected' });
    p.script('someone@example.test', null);
    await p.send(mailTo('someone@example.test'));
    p.script('x@example.test', SCRIPTS.greylist);
    p.reset();
    await p.send(mailTo('x@example.test'));
    expect(p.received).toHaveLength(1);
  });

  it('refuses a script that is not a failure reply', async () => {
    const p = createMemoryEmailProvider();
    p.script('a@example.test', { kind: 'reply', at: 'RCPT TO', reply: '250 fine' });
    await expect(p.send(mailTo('a@example.test'))).rejects.toThrow(/not an SMTP failure reply/);
  });

  it('after close, calls fail as connection_failed', async () => {
    const p = createMemoryEmailProvider();
    await p.close();
    const e = await p.send(mailTo('a@example.test')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EmailProviderError);
    expect((e as EmailProviderError).code).toBe('connection_failed');
  });
});
