import { setTimeout as sleep } from 'node:timers/promises';
import type { CallbackPoster } from './callbacks.ts';
import { VALID_TEST_FROM } from './numbers.ts';
import { assertNever, defaultErrorCode, type Scenario } from './scenario.ts';
import type { SandboxMessage, SandboxStatus } from './store.ts';

export interface Step {
  status: SandboxStatus;
  errorCode: number | null;
  /** Whether its callback is posted (scenario drops aside, the status change always happens). */
  post: boolean;
}

export interface Plan {
  /** Status changes in the order they happen. */
  steps: Step[];
  /** Indices into `steps` in the order their callbacks are posted. */
  postOrder: number[];
  duplicate: boolean;
  delayMs: number;
}

/** The status changes and callbacks of one accepted message under a scenario (pure). */
export function planLifecycle(scenario: Scenario): Plan {
  const code = scenario.errorCode ?? defaultErrorCode(scenario.outcome);
  const steps: Step[] = [{ status: 'queued', errorCode: null, post: scenario.queuedCallback }];
  switch (scenario.outcome) {
    case 'delivered':
      steps.push({ status: 'sent', errorCode: null, post: true }, { status: 'delivered', errorCode: null, post: true });
      break;
    case 'undelivered':
      steps.push({ status: 'sent', errorCode: null, post: true }, { status: 'undelivered', errorCode: code, post: true });
      break;
    case 'failed':
      steps.push({ status: 'failed', errorCode: code, post: true });
      break;
    default:
      assertNever(scenario.outcome, 'outcome');
  }
  const last = steps[steps.length - 1]!;
  if (scenario.dropFinal) last.post = false;
  if (scenario.dropCallbacks) for (const s of steps) s.post = false;
  const postOrder = steps.map((_, i) => i);
  if (scenario.outOfOrder) postOrder.reverse();
  return { steps, postOrder, duplicate: scenario.duplicate, delayMs: scenario.delayMs };
}

/** The form parameters of a status callback, as Twilio posts them. */
export function callbackParams(m: SandboxMessage, status: SandboxStatus, errorCode: number | null): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: m.accountSid,
    ApiVersion: '2010-04-01',
    From: m.from ?? VALID_TEST_FROM,
    MessageSid: m.sid,
    MessageStatus: status,
    SmsSid: m.sid,
    SmsStatus: status,
    To: m.to,
  };
  if (errorCode !== null) params.ErrorCode = String(errorCode);
  if (m.messagingServiceSid) params.MessagingServiceSid = m.messagingServiceSid;
  return params;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Moves accepted messages through their statuses and posts their callbacks; holds scheduled
 * messages until SendAt. `abortAll()` (reset, close) stops everything in flight.
 */
export class Lifecycle {
  private controller = new AbortController();
  private running = 0;
  private readonly idle = new Set<() => void>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly poster: CallbackPoster,
    private readonly scenarioFor: (to: string) => Scenario,
  ) {}

  /** Starts the status sequence of a message that was just accepted (or became due). */
  start(m: SandboxMessage): void {
    const plan = planLifecycle(this.scenarioFor(m.to));
    this.running++;
    void this.run(m, plan, this.controller.signal).finally(() => {
      this.running--;
      if (this.running === 0) for (const resolve of this.idle) resolve();
    });
  }

  private async run(m: SandboxMessage, plan: Plan, signal: AbortSignal): Promise<void> {
    let progress = -1;
    for (let tick = 0; tick < plan.steps.length; tick++) {
      if (plan.delayMs > 0) await sleep(plan.delayMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      const index = plan.postOrder[tick]!;
      const step = plan.steps[index]!;
      // A callback never reports a status the message has not reached: out of order, the
      // final status is reached when its callback is posted.
      progress = Math.max(progress, tick, index);
      this.apply(m, plan.steps[progress]!);
      if (!m.statusCallback) continue;
      if (!step.post) {
        this.poster.stats.dropped++;
        continue;
      }
      const params = callbackParams(m, step.status, step.errorCode);
      await this.poster.post(m.statusCallback, params, signal);
      if (plan.duplicate && !signal.aborted) await this.poster.post(m.statusCallback, params, signal);
    }
  }

  private apply(m: SandboxMessage, step: Step): void {
    if (m.status === step.status) return;
    const now = new Date();
    m.status = step.status;
    m.errorCode = step.errorCode;
    m.dateUpdated = now;
    if (m.from === null) m.from = VALID_TEST_FROM;
    if (m.dateSent === null && (step.status === 'sent' || step.status === 'delivered' || step.status === 'undelivered')) m.dateSent = now;
  }

  /** Holds a scheduled message until its SendAt, then sends it. */
  schedule(m: SandboxMessage): void {
    const arm = () => {
      const wait = (m.sendAt?.getTime() ?? 0) - Date.now();
      if (wait > 0) {
        this.timers.set(m.sid, setTimeout(arm, Math.min(wait, MAX_TIMER_MS)).unref());
        return;
      }
      this.timers.delete(m.sid);
      if (m.status !== 'scheduled') return;
      m.status = 'queued';
      m.dateUpdated = new Date();
      this.start(m);
    };
    arm();
  }

  /** Cancels a scheduled message; false when it is no longer scheduled. */
  cancel(m: SandboxMessage): boolean {
    if (m.status !== 'scheduled') return false;
    clearTimeout(this.timers.get(m.sid));
    this.timers.delete(m.sid);
    m.status = 'canceled';
    m.dateUpdated = new Date();
    const scenario = this.scenarioFor(m.to);
    if (m.statusCallback && !scenario.dropCallbacks) void this.poster.post(m.statusCallback, callbackParams(m, 'canceled', null), this.controller.signal);
    return true;
  }

  /** Posts one signed callback by hand (a late duplicate, a replay). */
  postNow(m: SandboxMessage, status: SandboxStatus, errorCode: number | null): Promise<number | null> {
    if (!m.statusCallback) return Promise.resolve(null);
    return this.poster.post(m.statusCallback, callbackParams(m, status, errorCode), this.controller.signal);
  }

  /** Resolves when every started sequence has finished and no callback is in flight. */
  async drain(): Promise<void> {
    while (this.running > 0 || this.poster.stats.inFlight > 0) {
      if (this.running > 0) {
        await new Promise<void>((resolve) => {
          const done = () => {
            this.idle.delete(done);
            resolve();
          };
          this.idle.add(done);
        });
      }
      await this.poster.whenIdle();
    }
  }

  /** Stops every sequence, scheduled send and retry in flight (reset, close). */
  abortAll(): void {
    this.controller.abort();
    this.controller = new AbortController();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
