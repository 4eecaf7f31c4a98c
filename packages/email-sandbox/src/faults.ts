import { assertNever, type Fault } from './types.ts';

/** When a fault is looked at: the RCPT command, the message (DATA), or after acceptance. */
export type FaultPhase = 'rcpt' | 'data' | 'after';

export function phaseOf(fault: Fault): FaultPhase {
  switch (fault) {
    case 'temp_fail_rcpt':
    case 'perm_fail_rcpt':
      return 'rcpt';
    case 'temp_fail_data':
    case 'perm_fail_data':
    case 'drop_after_data':
    case 'drop_before_data':
    case 'slow_data':
      return 'data';
    case 'hard_bounce_later':
    case 'soft_bounce_later':
    case 'complaint_later':
      return 'after';
    default:
      return assertNever(fault);
  }
}

/** Local parts that trigger a fault at any domain, with or without a +tag (bounce+abc@example.com). */
export const MAGIC_LOCAL_PARTS: Readonly<Record<string, Fault>> = {
  tempfail: 'temp_fail_rcpt',
  reject: 'perm_fail_rcpt',
  datafail: 'perm_fail_data',
  tempdatafail: 'temp_fail_data',
  drop: 'drop_after_data',
  dropbefore: 'drop_before_data',
  slow: 'slow_data',
  bounce: 'hard_bounce_later',
  softbounce: 'soft_bounce_later',
  complaint: 'complaint_later',
};

export function magicFault(address: string): Fault | null {
  const at = address.lastIndexOf('@');
  const local = (at < 0 ? address : address.slice(0, at)).toLowerCase();
  const plus = local.indexOf('+');
  return MAGIC_LOCAL_PARTS[plus < 0 ? local : local.slice(0, plus)] ?? null;
}

interface Rule {
  fault: Fault;
  /** Uses left; null = until cleared. */
  times: number | null;
}

/**
 * Faults set at runtime, by exact recipient address (case-insensitive) or '*'. The rule for
 * an address is its own, else '*', else its magic local part; it applies in its fault's
 * phase only, and a rule with `times` is used up by that many applications.
 */
export class FaultBook {
  private readonly rules = new Map<string, Rule>();

  set(match: string, fault: Fault, times?: number): void {
    if (times !== undefined && !(Number.isInteger(times) && times > 0)) throw new Error(`times must be a positive integer, got ${times}`);
    this.rules.set(match === '*' ? '*' : match.toLowerCase(), { fault, times: times ?? null });
  }

  clear(): void {
    this.rules.clear();
  }

  /** The fault for `address` in `phase`, using up one of its times; null when none applies. */
  take(address: string, phase: FaultPhase): Fault | null {
    const key = address.toLowerCase();
    const own = this.rules.get(key) ? key : this.rules.get('*') ? '*' : null;
    if (own === null) {
      const magic = magicFault(address);
      return magic !== null && phaseOf(magic) === phase ? magic : null;
    }
    const rule = this.rules.get(own) as Rule;
    if (phaseOf(rule.fault) !== phase) return null;
    if (rule.times !== null && --rule.times === 0) this.rules.delete(own);
    return rule.fault;
  }

  /** The first DATA-phase fault among the recipients (only that one is used up). */
  takeForData(recipients: readonly string[]): Fault | null {
    for (const r of recipients) {
      const fault = this.take(r, 'data');
      if (fault !== null) return fault;
    }
    return null;
  }

  list(): { match: string; fault: Fault; times: number | null }[] {
    return [...this.rules].map(([match, r]) => ({ match, fault: r.fault, times: r.times }));
  }
}
