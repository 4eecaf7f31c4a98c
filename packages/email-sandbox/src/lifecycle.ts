import { buildEvent } from './events.ts';
import type { MailStore } from './store.ts';
import { assertNever, type Fault, type SandboxEventKind, type StoredMail } from './types.ts';
import type { PostOutcome, WebhookPoster } from './webhooks.ts';

/** The events that follow an accepted message for one recipient, after its 'after' fault. */
export function planFor(fault: Fault | null): SandboxEventKind[] {
  if (fault === null) return ['processed', 'delivered'];
  switch (fault) {
    case 'hard_bounce_later':
    case 'soft_bounce_later':
      return ['processed', 'bounce'];
    case 'complaint_later':
      return ['processed', 'delivered', 'spamreport'];
    case 'temp_fail_rcpt':
    case 'perm_fail_rcpt':
    case 'temp_fail_data':
    case 'perm_fail_data':
    case 'drop_after_data':
    case 'drop_before_data':
    case 'slow_data':
      return ['processed', 'delivered'];
    default:
      return assertNever(fault);
  }
}

/** A soft bounce is SendGrid's 'bounce' event with type 'blocked' and a 4.x status. */
const SOFT_BOUNCE = {
  type: 'blocked',
  status: '4.2.2',
  reason: '452 4.2.2 The email account that you tried to reach is over quota.',
  bounce_classification: 'Mailbox Unavailable',
};

/**
 * Emits events for stored messages: records each on the message and hands it to the poster.
 * Automatic sequences are spaced by `delayMs` (processed at 1×, the outcome at 2×, a
 * spamreport at 3×) and are cancelled by clear() and close().
 */
export class Lifecycle {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly store: MailStore, private readonly poster: WebhookPoster, private readonly delayMs: number) {}

  emit(mail: StoredMail, kind: SandboxEventKind, recipient: string, extra?: Record<string, unknown>): Promise<PostOutcome> {
    this.store.recordEvent(mail.queueId, kind);
    return this.poster.send(buildEvent(mail, kind, recipient, extra));
  }

  /** Starts the automatic events of every recipient of a just accepted message. */
  start(mail: StoredMail, faults: ReadonlyMap<string, Fault | null>): void {
    const steps: { at: number; kind: SandboxEventKind; recipient: string; extra?: Record<string, unknown> }[] = [];
    for (const recipient of mail.envelopeTo) {
      const fault = faults.get(recipient) ?? null;
      planFor(fault).forEach((kind, i) =>
        steps.push({ at: i + 1, kind, recipient, ...(fault === 'soft_bounce_later' && kind === 'bounce' ? { extra: SOFT_BOUNCE } : {}) }));
    }
    const byTime = new Map<number, typeof steps>();
    for (const s of steps) byTime.set(s.at, [...(byTime.get(s.at) ?? []), s]);
    for (const [at, group] of byTime) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        for (const s of group) void this.emit(mail, s.kind, s.recipient, s.extra);
      }, at * this.delayMs);
      this.timers.add(timer);
    }
  }

  cancelAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
