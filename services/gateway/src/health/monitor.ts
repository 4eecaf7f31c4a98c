import type { PrismaClient } from '@hub/db';
import type { Bus } from '@hub/bus';
import type { Clock } from '@hub/contracts';
import type { Registry } from 'prom-client';
import { PROVIDER_ERROR_CODES, ProviderError, type ProviderAccount, type SmsProvider } from '@hub/sms-provider';
import { EMAIL_ERROR_CODES, EmailProviderError, type EmailProvider } from '@hub/email-provider';
import type { GatewayMetrics } from '../plugins/metrics.ts';
import { emailFigures } from '../routes/metrics-channels.ts';
import { ACCOUNT_ERROR_CODES, type ConfiguredSender } from './account.ts';
import { AccountMonitor, type BalanceCheck, type SenderCheck } from './account-monitor.ts';
import { channelPauses, type ChannelPausesCheck } from './channel-pauses.ts';
import { deliveryRateLight, deliveryTimeLight, emailLight, formatWindow, latencyLight, overall, type CheckStatus, type HealthThresholds, type Light } from './verdict.ts';

/**
 * Why a check is not green, as a closed list of codes: /health answers without
 * authentication, so it never carries an error's text (hosts, users, driver messages);
 * the text goes to the log.
 */
export const HEALTH_ERROR_CODES = [
  'timeout', 'unreachable', 'no_brokers', 'query_failed', 'not_configured', 'auth_failed',
  ...ACCOUNT_ERROR_CODES,
  ...PROVIDER_ERROR_CODES.map((c) => `provider_${c}` as const),
  ...EMAIL_ERROR_CODES.map((c) => `email_${c}` as const),
] as const;
export type HealthErrorCode = (typeof HEALTH_ERROR_CODES)[number];

export interface HealthReport {
  status: Light;
  checkedAt: string;
  checks: {
    database: { status: CheckStatus; latencyMs: number | null; error?: HealthErrorCode };
    kafka: { status: CheckStatus; latencyMs: number | null; brokers?: number; error?: HealthErrorCode };
    provider: { status: CheckStatus; latencyMs: number | null; error?: HealthErrorCode };
    providerAuth: { status: CheckStatus; error?: HealthErrorCode };
    /** The provider account's balance, from the background account monitor (never asked on the request path). */
    providerBalance: BalanceCheck;
    /** Whether the configured sender (Messaging Service, else From number) exists on the account; same monitor. */
    providerSender: SenderCheck;
    deliveryRate: { status: CheckStatus; window: string; rate: number | null; delivered: number; failed: number; sufficientSample: boolean; error?: HealthErrorCode };
    /** Average time from the provider's acceptance (sent_at) to its "delivered" callback (delivered_at), SMS delivered in the window. */
    deliveryTime: { status: CheckStatus; window: string; averageMs: number | null; delivered: number; sufficientSample: boolean; error?: HealthErrorCode };
    /** The mail relay: a connect (and authenticate) round trip; unknown without one. */
    emailProvider: { status: CheckStatus; latencyMs: number | null; error?: HealthErrorCode };
    /** Email outcomes in the window: relay success, bounce and complaint rates. */
    /** Channels paused by a provider-wide failure (deliveries held, not failed): red while any is. */
    channels: ChannelPausesCheck;
    email: {
      status: CheckStatus; window: string; accepted: number; failed: number; bounced: number; complained: number;
      successRate: number | null; bounceRate: number | null; complaintRate: number | null; sufficientSample: boolean; error?: HealthErrorCode;
    };
  };
}

/** Where the monitor logs the details its report leaves out. */
export interface HealthLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface HealthDeps {
  prisma: PrismaClient;
  bus: Bus;
  clock: Clock;
  provider?: SmsProvider | undefined;
  emailProvider?: EmailProvider | undefined;
  metrics?: Pick<GatewayMetrics, 'providerDuration'>;
  thresholds: HealthThresholds;
  log?: HealthLog;
  /** The account checks (balance, sender); absent: both report unknown / not_configured. */
  account?: ProviderAccountHealth | undefined;
  /** Where the account monitor registers hub_provider_balance. */
  registry?: Registry;
}

/** What the account checks need: the provider's account port and the sender the sms-adapter uses. */
export interface ProviderAccountHealth {
  account: ProviderAccount;
  sender: ConfiguredSender;
}

type Admin = ReturnType<Bus['admin']>;

class Timeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Timeout(`no answer within ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The code of a failed dependency check; `otherwise` when it answered, but wrongly. */
const codeOf = (err: unknown, otherwise: HealthErrorCode): HealthErrorCode => (err instanceof Timeout ? 'timeout' : otherwise);
const elapsed = (started: number) => Math.round(performance.now() - started);

/** A message sid that cannot exist: fetching it is the cheapest authenticated round trip (a 404). */
export const PROBE_SID = `SM${'0'.repeat(32)}`;

/**
 * Measures the hub's health by the runbook's criteria. Results are cached for `cacheMs`
 * and concurrent callers share one measurement, so polling /health costs one probe per
 * interval whatever the traffic.
 */
export class HealthMonitor {
  private cached: { at: number; report: HealthReport } | null = null;
  private inFlight: Promise<HealthReport> | null = null;
  private admin: Promise<Admin> | null = null;
  private readonly accountMonitor: AccountMonitor | null;

  constructor(private readonly deps: HealthDeps) {
    this.accountMonitor = deps.account
      ? new AccountMonitor({
        account: deps.account.account, sender: deps.account.sender, clock: deps.clock, thresholds: deps.thresholds,
        ...(deps.registry ? { registry: deps.registry } : {}),
        ...(deps.metrics ? { providerDuration: deps.metrics.providerDuration } : {}),
        ...(deps.log ? { log: deps.log } : {}),
      })
      : null;
  }

  /** Starts the background account checks (the gateway calls it when the app is ready). */
  start(): void {
    this.accountMonitor?.start();
  }

  async report(): Promise<HealthReport> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.deps.thresholds.cacheMs) return this.cached.report;
    this.inFlight ??= this.measure().then((report) => {
      this.cached = { at: Date.now(), report };
      return report;
    }).finally(() => { this.inFlight = null; });
    return this.inFlight;
  }

  async close(): Promise<void> {
    await this.accountMonitor?.close();
    const admin = this.admin;
    this.admin = null;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => undefined);
  }

  private async measure(): Promise<HealthReport> {
    const [database, kafka, probe, deliveryRate, deliveryTime, emailProvider, email, channels] = await Promise.all([
      this.database(), this.kafka(), this.probeProvider(), this.deliveryRate(), this.deliveryTime(), this.probeEmailProvider(), this.email(), this.channels(),
    ]);
    const { providerBalance, providerSender } = this.accountChecks();
    const checks = { database, kafka, provider: probe.provider, providerAuth: probe.auth, providerBalance, providerSender, deliveryRate, deliveryTime, emailProvider, email, channels };
    return {
      status: overall([
        database.status, kafka.status, probe.provider.status, probe.auth.status, providerBalance.status, providerSender.status,
        deliveryRate.status, deliveryTime.status, emailProvider.status, email.status, channels.status,
      ]),
      checkedAt: this.deps.clock.now().toISOString(),
      checks,
    };
  }

  /** The account monitor's latest figures (no remote call here), or not_configured. */
  private accountChecks(): { providerBalance: BalanceCheck; providerSender: SenderCheck } {
    if (this.accountMonitor) return { providerBalance: this.accountMonitor.balance(), providerSender: this.accountMonitor.sender() };
    const t = this.deps.thresholds;
    return {
      providerBalance: { status: 'unknown', balance: null, currency: null, yellowBelow: t.balanceYellow, redBelow: t.balanceRed, checkedAt: null, answeredAt: null, error: 'not_configured' },
      providerSender: { status: 'unknown', kind: null, exists: null, checkedAt: null, answeredAt: null, error: 'not_configured' },
    };
  }

  private failed(check: string, err: unknown, code: HealthErrorCode): HealthErrorCode {
    this.deps.log?.warn({ check, code, err: err instanceof Error ? err.message : String(err) }, 'health check failed');
    return code;
  }

  private async channels(): Promise<ChannelPausesCheck> {
    try {
      const paused = await withTimeout(channelPauses(this.deps.prisma, this.deps.clock.now()), this.deps.thresholds.dependencyTimeoutMs);
      return { status: paused.length > 0 ? 'red' : 'green', paused };
    } catch (err) {
      return { status: 'unknown', paused: [], error: this.failed('channels', err, codeOf(err, 'query_failed')) as 'query_failed' | 'timeout' };
    }
  }

  private async database(): Promise<HealthReport['checks']['database']> {
    const started = performance.now();
    try {
      await withTimeout(this.deps.prisma.$queryRaw`SELECT 1`, this.deps.thresholds.dependencyTimeoutMs);
      return { status: 'green', latencyMs: elapsed(started) };
    } catch (err) {
      return { status: 'red', latencyMs: null, error: this.failed('database', err, codeOf(err, 'unreachable')) };
    }
  }

  private async kafka(): Promise<HealthReport['checks']['kafka']> {
    const started = performance.now();
    try {
      this.admin ??= (async () => {
        const admin = this.deps.bus.admin();
        await admin.connect();
        return admin;
      })();
      const admin = this.admin;
      const cluster = await withTimeout(admin.then((a) => a.describeCluster()), this.deps.thresholds.dependencyTimeoutMs).catch((err: unknown) => {
        // Start from a fresh connection next time.
        if (this.admin === admin) this.admin = null;
        void admin.then((a) => a.disconnect()).catch(() => undefined);
        throw err;
      });
      if (cluster.brokers.length === 0) return { status: 'red', latencyMs: elapsed(started), brokers: 0, error: 'no_brokers' };
      return { status: 'green', latencyMs: elapsed(started), brokers: cluster.brokers.length };
    } catch (err) {
      return { status: 'red', latencyMs: null, error: this.failed('kafka', err, codeOf(err, 'unreachable')) };
    }
  }

  /** Fetches a sid that cannot exist: a 404 is a successful, authenticated round trip. */
  private async probeProvider(): Promise<{ provider: HealthReport['checks']['provider']; auth: HealthReport['checks']['providerAuth'] }> {
    const provider = this.deps.provider;
    if (!provider) return { provider: { status: 'unknown', latencyMs: null, error: 'not_configured' }, auth: { status: 'unknown' } };
    const t = this.deps.thresholds;
    const end = this.deps.metrics?.providerDuration.startTimer({ op: 'health_probe' });
    const started = performance.now();
    let outcome: 'ok' | 'auth' | 'error';
    let error: HealthErrorCode | undefined;
    try {
      await withTimeout(provider.fetch(PROBE_SID), t.latencyRedMs);
      outcome = 'ok';
    } catch (err) {
      // A refusal (the 404 of the probe sid) or a rate limit is an answer: the provider is up.
      if (err instanceof ProviderError && (err.kind === 'rejected' || err.kind === 'rate_limited')) outcome = 'ok';
      else if (err instanceof ProviderError && err.kind === 'auth') outcome = 'auth';
      else outcome = 'error';
      if (outcome !== 'ok') error = this.failed('provider', err, err instanceof ProviderError ? (outcome === 'auth' ? 'auth_failed' : `provider_${err.code}`) : codeOf(err, 'unreachable'));
    }
    const latencyMs = elapsed(started);
    end?.({ outcome });
    const auth = outcome === 'auth' ? { status: 'red' as const, error: error ?? 'auth_failed' } : outcome === 'ok' ? { status: 'green' as const } : { status: 'unknown' as const };
    if (outcome === 'error') return { provider: { status: 'red', latencyMs, ...(error ? { error } : {}) }, auth };
    return { provider: { status: latencyLight(latencyMs, t), latencyMs }, auth };
  }

  private async deliveryRate(): Promise<HealthReport['checks']['deliveryRate']> {
    const t = this.deps.thresholds;
    const window = formatWindow(t.rateWindowMs);
    const since = new Date(this.deps.clock.now().getTime() - t.rateWindowMs);
    try {
      const [row] = await withTimeout(this.deps.prisma.$queryRaw<{ delivered: number; failed: number }[]>`
        SELECT count(*) FILTER (WHERE status = 'delivered')::int AS delivered,
               count(*) FILTER (WHERE status IN ('failed', 'undelivered'))::int AS failed
          FROM sms_messages
         WHERE status IN ('delivered', 'failed', 'undelivered') AND updated_at >= ${since}`, t.dependencyTimeoutMs);
      const delivered = row?.delivered ?? 0;
      const failed = row?.failed ?? 0;
      const light = deliveryRateLight(delivered, failed, t);
      return { status: light.status, window, rate: light.rate === null ? null : Math.round(light.rate * 10_000) / 10_000, delivered, failed, sufficientSample: light.sufficient };
    } catch (err) {
      return { status: 'unknown', window, rate: null, delivered: 0, failed: 0, sufficientSample: false, error: this.failed('delivery_rate', err, codeOf(err, 'query_failed')) };
    }
  }

  /**
   * Average delivery time of the SMS delivered in the rate window (runbook: < 10 s normal,
   * alert > 30 s). Rows without an acceptance time (sent_at) are left out. Same window and
   * index as the delivery rate, and cached with the rest of the verdict.
   */
  private async deliveryTime(): Promise<HealthReport['checks']['deliveryTime']> {
    const t = this.deps.thresholds;
    const window = formatWindow(t.rateWindowMs);
    const since = new Date(this.deps.clock.now().getTime() - t.rateWindowMs);
    try {
      const [row] = await withTimeout(this.deps.prisma.$queryRaw<{ delivered: number; average_ms: number | null }[]>`
        SELECT count(*)::int AS delivered,
               avg(EXTRACT(EPOCH FROM (delivered_at - sent_at)) * 1000)::float8 AS average_ms
          FROM sms_messages
         WHERE status = 'delivered' AND updated_at >= ${since}
           AND sent_at IS NOT NULL AND delivered_at IS NOT NULL AND delivered_at >= sent_at`, t.dependencyTimeoutMs);
      const delivered = row?.delivered ?? 0;
      const averageMs = row?.average_ms === null || row?.average_ms === undefined ? null : Math.round(row.average_ms);
      const light = deliveryTimeLight(averageMs, delivered, t);
      return { status: light.status, window, averageMs, delivered, sufficientSample: light.sufficient };
    } catch (err) {
      return { status: 'unknown', window, averageMs: null, delivered: 0, sufficientSample: false, error: this.failed('delivery_time', err, codeOf(err, 'query_failed')) };
    }
  }

  /** verify(): connect, greet, authenticate; an auth refusal is red like any other failure. */
  private async probeEmailProvider(): Promise<HealthReport['checks']['emailProvider']> {
    const provider = this.deps.emailProvider;
    if (!provider) return { status: 'unknown', latencyMs: null, error: 'not_configured' };
    const t = this.deps.thresholds;
    const started = performance.now();
    try {
      await withTimeout(provider.verify(), t.latencyRedMs);
      return { status: latencyLight(elapsed(started), t), latencyMs: elapsed(started) };
    } catch (err) {
      const code: HealthErrorCode = err instanceof EmailProviderError ? `email_${err.code}` : codeOf(err, 'unreachable');
      return { status: 'red', latencyMs: null, error: this.failed('email_provider', err, code) };
    }
  }

  private async email(): Promise<HealthReport['checks']['email']> {
    const t = this.deps.thresholds;
    const window = formatWindow(t.rateWindowMs);
    const since = new Date(this.deps.clock.now().getTime() - t.rateWindowMs);
    try {
      const f = await withTimeout(emailFigures(this.deps.prisma, since, 'updated_at'), t.dependencyTimeoutMs);
      const light = emailLight(f, t);
      const r4 = (x: number | null) => (x === null ? null : Math.round(x * 10_000) / 10_000);
      return {
        status: light.status, window, accepted: f.accepted, failed: f.failed, bounced: f.bounced, complained: f.complained,
        successRate: r4(light.successRate), bounceRate: r4(light.bounceRate), complaintRate: r4(light.complaintRate), sufficientSample: light.sufficient,
      };
    } catch (err) {
      return {
        status: 'unknown', window, accepted: 0, failed: 0, bounced: 0, complained: 0, successRate: null, bounceRate: null, complaintRate: null,
        sufficientSample: false, error: this.failed('email', err, codeOf(err, 'query_failed')),
      };
    }
  }
}
