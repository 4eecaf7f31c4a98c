import { Gauge, type Histogram, type Registry } from 'prom-client';
import type { Clock } from '@hub/contracts';
import type { ProviderAccount } from '@hub/sms-provider';
import { accountFailure, balanceLight, senderLight, type AccountErrorCode, type ConfiguredSender } from './account.ts';
import type { CheckStatus, HealthThresholds } from './verdict.ts';

/** The closed codes an account check reports (a subset of HEALTH_ERROR_CODES). */
export type AccountCheckError = AccountErrorCode | 'not_configured' | ReturnType<typeof accountFailure>['code'];

export interface BalanceCheck {
  status: CheckStatus;
  /** The last balance the provider answered (kept while a later refresh fails), in `currency`. */
  balance: number | null;
  currency: string | null;
  /** Below this: yellow; below `redBelow`: red (HEALTH_BALANCE_YELLOW / _RED). */
  yellowBelow: number;
  redBelow: number;
  /** The last refresh (answered or not) and the last answer; null before the first. */
  checkedAt: string | null;
  answeredAt: string | null;
  error?: AccountCheckError;
}

export interface SenderCheck {
  status: CheckStatus;
  /** What is checked: the Messaging Service when one is configured, else the From number. */
  kind: 'phone_number' | 'messaging_service' | 'unverifiable' | null;
  /** The last answer: whether the sender exists on the account (kept while a later refresh fails). */
  exists: boolean | null;
  checkedAt: string | null;
  answeredAt: string | null;
  error?: AccountCheckError;
}

export interface AccountMonitorDeps {
  account: ProviderAccount;
  sender: ConfiguredSender;
  clock: Clock;
  thresholds: Pick<HealthThresholds, 'balanceYellow' | 'balanceRed' | 'accountRefreshMs' | 'latencyRedMs'>;
  /** Where hub_provider_balance is registered. */
  registry?: Registry;
  providerDuration?: Pick<Histogram<'op' | 'outcome'>, 'startTimer'>;
  log?: { warn(obj: Record<string, unknown>, msg: string): void };
}

class Timeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Timeout(`no answer within ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const BALANCE_METRIC = 'hub_provider_balance';

function balanceGauge(registry: Registry): Gauge<'channel' | 'currency'> {
  const existing = registry.getSingleMetric(BALANCE_METRIC);
  if (existing) return existing as Gauge<'channel' | 'currency'>;
  return new Gauge({
    name: 'hub_provider_balance',
    help: "The SMS provider account's balance in its currency (Twilio Balance API), as last answered to the gateway's account check",
    labelNames: ['channel', 'currency'] as const,
    registers: [registry],
  });
}

/**
 * The provider account checks of /health (balance, sender), refreshed in the background
 * every `accountRefreshMs`: both are remote calls, so /health never waits for them, and the
 * provider sees two calls per interval per gateway whatever the /health traffic. Before the
 * first answer each check is `unknown` (`pending`); when the provider cannot be asked
 * (unreachable, timeout, 5xx) the check is `unknown` with that code and keeps the last figure
 * it had; bad credentials (20003) are red.
 */
export class AccountMonitor {
  private balanceCheck: BalanceCheck;
  private senderCheck: SenderCheck;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  private readonly gauge: Gauge<'channel' | 'currency'> | null;

  constructor(private readonly deps: AccountMonitorDeps) {
    const t = deps.thresholds;
    this.balanceCheck = { status: 'unknown', balance: null, currency: null, yellowBelow: t.balanceYellow, redBelow: t.balanceRed, checkedAt: null, answeredAt: null, error: 'pending' };
    const sender = deps.sender;
    this.senderCheck = sender === null
      ? { status: 'unknown', kind: null, exists: null, checkedAt: null, answeredAt: null, error: 'not_configured' }
      : sender.kind === 'unverifiable'
        ? { status: 'unknown', kind: 'unverifiable', exists: null, checkedAt: null, answeredAt: null, error: 'sender_not_checkable' }
        : { status: 'unknown', kind: sender.kind, exists: null, checkedAt: null, answeredAt: null, error: 'pending' };
    this.gauge = deps.registry ? balanceGauge(deps.registry) : null;
  }

  /** Starts refreshing: the first refresh at once, then every accountRefreshMs after the previous one ended. */
  start(): void {
    if (this.closed || this.running || this.timer) return;
    this.tick();
  }

  balance(): BalanceCheck {
    return this.balanceCheck;
  }

  sender(): SenderCheck {
    return this.senderCheck;
  }

  /** Stops refreshing and waits for a refresh in flight. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private tick(): void {
    this.timer = null;
    this.running = this.refresh().finally(() => {
      this.running = null;
      if (this.closed) return;
      this.timer = setTimeout(() => this.tick(), this.deps.thresholds.accountRefreshMs);
      this.timer.unref();
    });
  }

  /** One refresh of both checks (they never throw). */
  async refresh(): Promise<void> {
    await Promise.all([this.refreshBalance(), this.refreshSender()]);
  }

  private async call<T>(op: 'health_balance' | 'health_sender', fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; failure: ReturnType<typeof accountFailure> }> {
    const end = this.deps.providerDuration?.startTimer({ op });
    try {
      const value = await withTimeout(fn(), this.deps.thresholds.latencyRedMs);
      end?.({ outcome: 'ok' });
      return { ok: true, value };
    } catch (err) {
      const failure = accountFailure(err, err instanceof Timeout);
      end?.({ outcome: failure.code === 'auth_failed' ? 'auth' : 'error' });
      this.deps.log?.warn({ check: op === 'health_balance' ? 'provider_balance' : 'provider_sender', code: failure.code, err: err instanceof Error ? err.message : String(err) }, 'health check failed');
      return { ok: false, failure };
    }
  }

  private async refreshBalance(): Promise<void> {
    const result = await this.call('health_balance', () => this.deps.account.balance());
    const now = this.deps.clock.now().toISOString();
    const t = this.deps.thresholds;
    const previous = this.balanceCheck;
    if (result.ok) {
      const { balance, currency } = result.value;
      if (this.gauge && previous.currency !== null && previous.currency !== currency) this.gauge.remove({ channel: 'sms', currency: previous.currency });
      this.gauge?.set({ channel: 'sms', currency }, balance);
      this.balanceCheck = { status: balanceLight(balance, t), balance, currency, yellowBelow: t.balanceYellow, redBelow: t.balanceRed, checkedAt: now, answeredAt: now };
      return;
    }
    this.balanceCheck = { ...previous, status: result.failure.status, checkedAt: now, error: result.failure.code };
  }

  private async refreshSender(): Promise<void> {
    const ref = this.deps.sender;
    if (ref === null || ref.kind === 'unverifiable') return;
    const result = await this.call('health_sender', () => this.deps.account.sender(ref));
    const now = this.deps.clock.now().toISOString();
    if (result.ok) {
      const light = senderLight(ref, result.value);
      this.senderCheck = { status: light.status, kind: ref.kind, exists: result.value.exists, checkedAt: now, answeredAt: now, ...(light.error ? { error: light.error } : {}) };
      if (light.error) this.deps.log?.warn({ check: 'provider_sender', code: light.error, sender: ref.kind === 'phone_number' ? ref.phoneNumber : ref.sid }, 'health check failed');
      return;
    }
    this.senderCheck = { ...this.senderCheck, status: result.failure.status, checkedAt: now, error: result.failure.code };
  }
}
