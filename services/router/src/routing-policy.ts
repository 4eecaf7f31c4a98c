import type { PrismaClient } from '@hub/db';

/**
 * Routing policies per event type (routing_policies, set through the gateway's admin API):
 * an ordered fallback list of channels, and escalation steps anchored to the in-app item.
 * Pure rules here; the statements that apply them are in routing-steps.ts.
 */
export interface EscalationStep {
  channel: string;
  /** From when the event was routed. */
  afterMs: number;
  urgentOnly: boolean;
}

export interface RoutingPolicy {
  eventType: string;
  fallback: readonly string[];
  escalation: readonly EscalationStep[];
}

export async function loadPolicies(prisma: PrismaClient, eventTypes: readonly string[]): Promise<Map<string, RoutingPolicy>> {
  if (eventTypes.length === 0) return new Map();
  const rows = await prisma.$queryRaw<{ event_type: string; fallback: string[]; escalation: EscalationStep[] }[]>`
    SELECT event_type, fallback, escalation FROM routing_policies WHERE event_type = ANY(${[...eventTypes]}::text[])`;
  return new Map(rows.map((r) => [r.event_type, { eventType: r.event_type, fallback: r.fallback, escalation: Array.isArray(r.escalation) ? r.escalation : [] }]));
}

/**
 * The chain of a recipient: the policy's order restricted to the channels the recipient's
 * subscription enables (the subscription says which channels the user accepts; the policy
 * says in which order, one at a time). Null: no chain, every subscribed channel at once.
 */
export function chainFor(policy: RoutingPolicy | undefined, subscribed: readonly string[]): string[] | null {
  if (!policy || policy.fallback.length === 0) return null;
  const chain = policy.fallback.filter((c) => subscribed.includes(c));
  return chain.length > 0 ? chain : null;
}

export interface PlannedStep {
  channel: string;
  available: boolean;
  reason: string | null;
}

/** The channels tried now: each unusable one (recorded skipped, with why) up to and including the first usable one. */
export function planChain(chain: readonly string[], availability: (channel: string) => { available: boolean; reason: string | null }): PlannedStep[] {
  const planned: PlannedStep[] = [];
  for (const channel of chain) {
    const a = availability(channel);
    planned.push({ channel, available: a.available, reason: a.reason });
    if (a.available) break;
  }
  return planned;
}

/** The escalation steps an event gets: all of them when urgent, else those not urgentOnly (with their index in the policy). */
export function escalationSteps(policy: RoutingPolicy | undefined, urgent: boolean): { index: number; step: EscalationStep }[] {
  return (policy?.escalation ?? []).map((step, index) => ({ index, step })).filter(({ step }) => urgent || !step.urgentOnly);
}
