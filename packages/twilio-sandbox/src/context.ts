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
