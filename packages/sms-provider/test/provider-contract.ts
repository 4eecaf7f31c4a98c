import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError, type PhoneVerifier, type ProviderErrorCode, type ProviderErrorKind, type ProviderMessage, type SmsProvider } from '../src/index.ts';

/**
 * The SmsProvider / PhoneVerifier contract, run against every adapter (the Twilio adapter
 * through the sandbox, any fake), so they cannot drift apart. A harness provides the
 * adapter and, optionally, the means to inject faults.
 */
export interface ContractHarness {
  provider: SmsProvider;
  /** Verify tests run when present. */
  verifier?: PhoneVerifier | undefined;
  /** The code the backend approves. */
  verifyCode?: string | undefined;
  /** A sender the backend accepts (the adapter's default is used when a test names none). */
  from: string;
  /** A Messaging Service the backend accepts (scheduled sends). */
  messagingServiceSid: string;
  statusCallback(messageId: string): string;
  faults?: ContractFaults | undefined;
  /** Messages to `to` stay queued (no date_sent) until reset: a send the provider has not carried out yet. */
  holdQueued?(to: string): void | Promise<void>;
  /** Called after each test (clear faults). */
  reset?(): void | Promise<void>;
  close(): Promise<void>;
}

export interface ContractFaults {
  /** The next `count` calls get this HTTP error. */
  failNext(status: 401 | 429 | 500 | 503, count: number): void | Promise<void>;
  /** Every call takes longer than the provider's timeout until reset. */
  stall(): void | Promise<void>;
}

const SHORT = 'Your task "Pay rent" is due in 2 hours.';
let seq = Math.floor(Math.random() * 8_000_000);
/** A destination no other test of this run uses (+1 555 and 7 digits). */
const freshNumber = () => `+1555${String(1_000_000 + (seq++ % 8_999_999)).padStart(7, '0')}`;

async function expectProviderError(p: Promise<unknown>, expected: { code: ProviderErrorCode; kind: ProviderErrorKind; retryable: boolean; twilioCode?: number | null }): Promise<ProviderError> {
  const err = await p.then(
    () => {
      throw new Error(`expected a ProviderError ${expected.code}, the call succeeded`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  const pe = err as ProviderError;
  expect({ code: pe.code, kind: pe.kind, retryable: pe.retryable }).toEqual({ code: expected.code, kind: expected.kind, retryable: expected.retryable });
  if (expected.twilioCode !== undefined) expect(pe.twilioCode).toBe(expected.twilioCode);
  return pe;
}

async function eventually(fetch: () => Promise<ProviderMessage>, done: (m: ProviderMessage) => boolean, timeoutMs = 3_000): Promise<ProviderMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await fetch();
    if (done(m) || Date.now() > deadline) return m;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** What the adapter under test can do (its tests are skipped otherwise). */
export interface ContractCapabilities {
  /** The harness can inject faults. */
  faults: boolean;
  /** The adapter is also a PhoneVerifier. */
  verify: boolean;
  /** The harness can hold messages in "queued" (holdQueued). */
  holdQueued?: boolean;
}

export function providerContract(name: string, setup: () => Promise<ContractHarness>, capabilities: ContractCapabilities): void {
  describe(`SmsProvider contract: ${name}`, () => {
    let h: ContractHarness;
    beforeAll(async () => {
      h = await setup();
    });
    afterEach(async () => {
      await h.reset?.();
    });
    afterAll(async () => {
      await h?.close();
    });
    const required = <T>(value: T | undefined, what: string): T => {
      if (value === undefined) throw new Error(`the harness declares ${what} but provides none`);
      return value;
    };
    const faults = () => required(h.faults, 'faults');
    const verifier = () => required(h.verifier, 'a verifier');
    const verifyCode = () => required(h.verifyCode, 'a verify code');

    describe('send', () => {
      it('accepts a message and returns its sid, status and segments', async () => {
        const to = freshNumber();
        const m = await h.provider.send({ to, body: SHORT, statusCallback: h.statusCallback('m-send-1') });
        expect(m.sid).toMatch(/^SM[0-9a-f]{32}$/);
        expect(['queued', 'accepted']).toContain(m.status);
        expect(m.to).toBe(to);
        expect(m.body).toBe(SHORT);
        expect(m.segments).toBe(1);
        expect(m.errorCode).toBeNull();
      });

      it('sends through a Messaging Service', async () => {
        const m = await h.provider.send({ to: freshNumber(), body: SHORT, messagingServiceSid: h.messagingServiceSid, statusCallback: h.statusCallback('m-svc') });
        expect(['queued', 'accepted']).toContain(m.status);
        expect(m.messagingServiceSid).toBe(h.messagingServiceSid);
      });

      it('counts segments of a long message', async () => {
        const m = await h.provider.send({ to: freshNumber(), body: 'x'.repeat(161), statusCallback: h.statusCallback('m-long') });
        expect(m.segments).toBe(2);
      });

      it.each([
        ['+15005550001', 'invalid_to', 21211],
        ['+15005550002', 'unreachable', 21612],
        ['+15005550003', 'region_not_permitted', 21408],
        ['+15005550004', 'opted_out', 21610],
        ['+15005550009', 'not_sms_capable', 21614],
      ] as const)('refuses test number %s: %s (%i), not retryable', async (to, code, twilioCode) => {
        const err = await expectProviderError(h.provider.send({ to, body: SHORT, statusCallback: h.statusCallback('m-bad') }), { code, kind: 'rejected', retryable: false, twilioCode });
        expect(err.httpStatus).toBe(400);
      });

      it('refuses an invalid From (21212) and a From not owned (21606)', async () => {
        await expectProviderError(h.provider.send({ to: freshNumber(), from: '+15005550001', body: SHORT, statusCallback: h.statusCallback('f1') }), { code: 'invalid_from', kind: 'rejected', retryable: false, twilioCode: 21212 });
        await expectProviderError(h.provider.send({ to: freshNumber(), from: '+15017122661', body: SHORT, statusCallback: h.statusCallback('f2') }), { code: 'invalid_from', kind: 'rejected', retryable: false, twilioCode: 21606 });
      });

      it('refuses an empty body (21602)', async () => {
        await expectProviderError(h.provider.send({ to: freshNumber(), body: '', statusCallback: h.statusCallback('e') }), { code: 'missing_parameter', kind: 'rejected', retryable: false, twilioCode: 21602 });
      });
    });

    describe('fetch', () => {
      it('returns the message, which reaches delivered', async () => {
        const to = freshNumber();
        const sent = await h.provider.send({ to, body: SHORT, statusCallback: h.statusCallback('m-fetch') });
        const m = await eventually(() => h.provider.fetch(sent.sid), (x) => x.status === 'delivered');
        expect(m).toMatchObject({ sid: sent.sid, to, body: SHORT, status: 'delivered', errorCode: null });
        expect(m.dateSent).toBeInstanceOf(Date);
      });

      it('answers not_found for an unknown sid', async () => {
        await expectProviderError(h.provider.fetch(`SM${'0'.repeat(32)}`), { code: 'not_found', kind: 'rejected', retryable: false, twilioCode: 20404 });
      });
    });

    describe('findSent', () => {
      it('finds a message by destination and body, and nothing for another body', async () => {
        const to = freshNumber();
        const since = new Date(Date.now() - 60_000);
        const sent = await h.provider.send({ to, body: `${SHORT} #find`, statusCallback: h.statusCallback('m-find') });
        expect((await h.provider.findSent({ to, body: `${SHORT} #find`, since }))?.sid).toBe(sent.sid);
        expect(await h.provider.findSent({ to, body: 'something else', since })).toBeNull();
        expect(await h.provider.findSent({ to, body: `${SHORT} #find`, since: new Date(Date.now() + 60_000) })).toBeNull();
      });

      it.skipIf(!capabilities.holdQueued)('finds a message still queued (no date_sent yet)', async () => {
        const to = freshNumber();
        if (!h.holdQueued) throw new Error('the harness declares holdQueued but provides none');
        await h.holdQueued(to);
        const since = new Date(Date.now() - 60_000);
        const sent = await h.provider.send({ to, body: `${SHORT} #queued`, statusCallback: h.statusCallback('m-queued') });
        const now = await h.provider.fetch(sent.sid);
        expect(now.status).toBe('queued');
        expect(now.dateSent).toBeNull();
        expect((await h.provider.findSent({ to, body: `${SHORT} #queued`, since }))?.sid).toBe(sent.sid);
      });
    });

    describe('scheduled sends and cancel', () => {
      const inOneHour = () => new Date(Date.now() + 3_600_000);

      it('schedules through a Messaging Service, cancels once, then refuses (30409)', async () => {
        const m = await h.provider.send({ to: freshNumber(), body: SHORT, messagingServiceSid: h.messagingServiceSid, sendAt: inOneHour(), statusCallback: h.statusCallback('m-sched') });
        expect(m.status).toBe('scheduled');
        await h.provider.cancel(m.sid);
        expect((await h.provider.fetch(m.sid)).status).toBe('canceled');
        await expectProviderError(h.provider.cancel(m.sid), { code: 'not_cancelable', kind: 'rejected', retryable: false, twilioCode: 30409 });
      });

      it('refuses to cancel a message that is not scheduled', async () => {
        const m = await h.provider.send({ to: freshNumber(), body: SHORT, statusCallback: h.statusCallback('m-nc') });
        await expectProviderError(h.provider.cancel(m.sid), { code: 'not_cancelable', kind: 'rejected', retryable: false, twilioCode: 30409 });
      });

      it('refuses scheduling without a Messaging Service (35118) or too soon (35114)', async () => {
        await expectProviderError(h.provider.send({ to: freshNumber(), body: SHORT, from: h.from, sendAt: inOneHour(), statusCallback: h.statusCallback('s1') }), { code: 'invalid_schedule', kind: 'rejected', retryable: false, twilioCode: 35118 });
        await expectProviderError(
          h.provider.send({ to: freshNumber(), body: SHORT, messagingServiceSid: h.messagingServiceSid, sendAt: new Date(Date.now() + 60_000), statusCallback: h.statusCallback('s2') }),
          { code: 'invalid_schedule', kind: 'rejected', retryable: false, twilioCode: 35114 },
        );
      });
    });

    describe.skipIf(!capabilities.faults)('provider faults', () => {
      const send = () => h.provider.send({ to: freshNumber(), body: SHORT, statusCallback: h.statusCallback('m-fault') });

      it('429 → rate_limited, retryable, with a retry-after hint', async () => {
        await faults().failNext(429, 1);
        const err = await expectProviderError(send(), { code: 'rate_limited', kind: 'rate_limited', retryable: true, twilioCode: 20429 });
        expect(err.retryAfterMs).toBeGreaterThan(0);
        expect(err.outcomeUnknown).toBe(false);
        await send(); // only the next call failed
      });

      it('500 → server, retryable, outcome unknown (it may have been carried out); 503 → server, retryable, not sent', async () => {
        await faults().failNext(500, 1);
        expect((await expectProviderError(send(), { code: 'server_error', kind: 'server', retryable: true })).outcomeUnknown).toBe(true);
        await faults().failNext(503, 1);
        expect((await expectProviderError(send(), { code: 'server_error', kind: 'server', retryable: true })).outcomeUnknown).toBe(false);
      });

      it('401 → auth, not retryable', async () => {
        await faults().failNext(401, 1);
        await expectProviderError(send(), { code: 'auth_failed', kind: 'auth', retryable: false, twilioCode: 20003 });
      });

      it('a call slower than the timeout → timeout, retryable, outcome unknown', async () => {
        await faults().stall();
        const err = await expectProviderError(send(), { code: 'timeout', kind: 'timeout', retryable: true, twilioCode: null });
        expect(err.outcomeUnknown).toBe(true);
      });
    });

    describe.skipIf(!capabilities.verify)('phone verification', () => {
      it('starts, keeps a wrong code pending, approves the right one, then has nothing pending', async () => {
        const to = freshNumber();
        const started = await verifier().start(to);
        expect(started.sid).toMatch(/^VE[0-9a-f]{32}$/);
        expect(started.status).toBe('pending');
        const wrong = verifyCode() === '000000' ? '111111' : '000000';
        expect(await verifier().check(to, wrong)).toEqual({ status: 'pending', valid: false });
        expect(await verifier().check(to, verifyCode())).toEqual({ status: 'approved', valid: true });
        await expectProviderError(verifier().check(to, verifyCode()), { code: 'not_found', kind: 'rejected', retryable: false, twilioCode: 20404 });
      });

      it('a resend while pending keeps the same verification', async () => {
        const to = freshNumber();
        const a = await verifier().start(to);
        const b = await verifier().start(to);
        expect(b.sid).toBe(a.sid);
      });

      it('has nothing to check for a number never started (20404)', async () => {
        await expectProviderError(verifier().check(freshNumber(), '123456'), { code: 'not_found', kind: 'rejected', retryable: false, twilioCode: 20404 });
      });

      it('refuses an invalid number (60200) and a landline (60205)', async () => {
        await expectProviderError(verifier().start('+15005550001'), { code: 'invalid_parameter', kind: 'rejected', retryable: false, twilioCode: 60200 });
        await expectProviderError(verifier().start('+15005550009'), { code: 'not_sms_capable', kind: 'rejected', retryable: false, twilioCode: 60205 });
      });
    });
  });
}
