import type { ApiGuard } from './faults.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { Scenario } from './scenario.ts';
import type { MessageStore, VerificationRecord, VerifyStartRecord } from './store.ts';

/** The state the routes share (one per sandbox). */
export interface SandboxContext {
  accountSid: string;
  store: MessageStore;
  lifecycle: Lifecycle;
  guard: ApiGuard;
  fromNumbers: ReadonlySet<string>;
  scheduling: SchedulingWindow;
  /** The query parameter of the StatusCallback URL that carries our message id. */
  messageIdParam: string;
  verify: VerifyState;
  scenarios: ScenarioBook;
  account: AccountState;
}

/** The account the health checks read: its balance and Messaging Services. */
export interface AccountState {
  /** Decimal string, as Twilio's Balance API answers it (e.g. "100.00", "-3.50"). */
  balance: string;
  /** ISO 4217 code (Twilio: the account's currency). */
  currency: string;
  /**
   * The Messaging Services that exist (Services/{sid} answers them; a send through another
   * gets 21705). Null: every well-formed MG sid exists (the default).
   */
  messagingServices: Set<string> | null;
}

/** A balance as Twilio spells it: a decimal string with two places. */
export function balanceString(balance: number | string): string {
  const n = typeof balance === 'number' ? balance : Number(balance);
  if (!Number.isFinite(n)) throw new Error(`balance must be a number: ${String(balance)}`);
  return n.toFixed(2);
}

export interface SchedulingWindow {
  /** SendAt must be at least this far ahead (Twilio: 300 s). */
  minLeadMs: number;
  /** …and at most this far (Twilio: 35 days). */
  maxLeadMs: number;
}

export interface VerifyState {
  code: string;
  /** Pending verifications by service and destination. */
  pending: Map<string, VerificationRecord>;
  /** Every verification ever started, by sid. */
  all: Map<string, VerificationRecord>;
  starts: VerifyStartRecord[];
  /** Minutes a verification stays pending (Twilio: 10). */
  ttlMs: number;
}

/** Scenarios: the sandbox default, '*' set at runtime, and per destination number. */
export class ScenarioBook {
  private readonly byTo = new Map<string, Partial<Scenario>>();

  constructor(private readonly base: Scenario) {}

  set(to: string, scenario: Partial<Scenario>): void {
    this.byTo.set(to, { ...this.byTo.get(to), ...scenario });
  }

  for(to: string): Scenario {
    const any = this.byTo.get('*');
    const one = this.byTo.get(to);
    if (!any && !one) return this.base;
    return { ...this.base, ...any, ...one };
  }

  entries(): Record<string, Scenario> {
    const out: Record<string, Scenario> = { '*': this.for('*') };
    for (const to of this.byTo.keys()) out[to] = this.for(to);
    return out;
  }

  clear(): void {
    this.byTo.clear();
  }
}

type FormValue = string | string[] | undefined;
export type Form = Record<string, FormValue>;

/** The first value of a form field (Twilio takes the first of repeated scalars). */
export const one = (v: FormValue): string | undefined => (Array.isArray(v) ? v[0] : v);
export const many = (v: FormValue): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
