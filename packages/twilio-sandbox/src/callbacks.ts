import twilio from 'twilio';
import type { Scenario } from './scenario.ts';

export interface CallbackTarget {
  url: string;
  sid: string;
  accountSid: string;
  from: string;
  to: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Posts status callbacks the way Twilio does: form-encoded, signed with X-Twilio-Signature
 * over the exact callback URL and parameters. Failures are retried a few times, then counted.
 */
export class CallbackSender {
  delivered = 0;
  failed = 0;
  private pending = new Set<Promise<void>>();

  constructor(private readonly authToken: string) {}

  schedule(target: CallbackTarget, scenario: Scenario, onStatus: (status: string, errorCode: number | null) => void): void {
    if (scenario.dropCallbacks) return;
    const sequence: { status: string; errorCode: number | null }[] = [];
    if (scenario.queuedCallback) sequence.push({ status: 'queued', errorCode: null });
    if (scenario.outcome === 'failed') {
      sequence.push({ status: 'failed', errorCode: scenario.errorCode ?? 30008 });
    } else {
      sequence.push({ status: 'sent', errorCode: null });
      sequence.push(scenario.outcome === 'delivered' ? { status: 'delivered', errorCode: null } : { status: 'undelivered', errorCode: scenario.errorCode ?? 30003 });
    }
    if (scenario.outOfOrder) sequence.reverse();
    const run = (async () => {
      for (const step of sequence) {
        await sleep(scenario.delayMs);
        onStatus(step.status, step.errorCode);
        await this.post(target, step.status, step.errorCode);
        if (scenario.duplicate) await this.post(target, step.status, step.errorCode);
      }
    })();
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  async post(target: CallbackTarget, status: string, errorCode: number | null): Promise<boolean> {
    const params: Record<string, string> = {
      AccountSid: target.accountSid,
      ApiVersion: '2010-04-01',
      From: target.from,
      To: target.to,
      MessageSid: target.sid,
      SmsSid: target.sid,
      MessageStatus: status,
      SmsStatus: status,
    };
    if (errorCode !== null) params.ErrorCode = String(errorCode);
    const signature = twilio.getExpectedTwilioSignature(this.authToken, target.url, params);
    for (let attempt = 1; attempt <= 4; attempt++) {
      try {
        const res = await fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1' },
          body: new URLSearchParams(params).toString(),
        });
        await res.arrayBuffer();
        if (res.status < 500) {
          this.delivered++;
          return res.ok;
        }
      } catch {
        // connection refused / reset: retry below
      }
      await sleep(100 * 2 ** attempt);
    }
    this.failed++;
    return false;
  }

  /** Waits for every scheduled callback to be posted. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
