/** How the sandbox treats a message after accepting it (per destination, or the default). */
export interface Scenario {
  /** Final outcome reported through callbacks. */
  outcome: 'delivered' | 'undelivered' | 'failed';
  /** Error code on an undelivered/failed outcome (e.g. 30003 unreachable, 30005 unknown, 30007 filtered). */
  errorCode?: number;
  /** Delay before each callback, in ms. */
  delayMs: number;
  /** Post every callback twice. */
  duplicate: boolean;
  /** Post the callbacks in reverse order (final status first). */
  outOfOrder: boolean;
  /** Post no callbacks at all (the hub must reconcile). */
  dropCallbacks: boolean;
  /** Include the "queued" callback. */
  queuedCallback: boolean;
}

export const DEFAULT_SCENARIO: Scenario = {
  outcome: 'delivered',
  delayMs: 10,
  duplicate: false,
  outOfOrder: false,
  dropCallbacks: false,
  queuedCallback: true,
};

/** Faults of the API itself (health checks and error handling). */
export interface ApiFaults {
  /** Added to every API response. */
  latencyMs: number;
  /** The next N API requests fail with this status and code. */
  failNext: { count: number; status: number; code: number | null } | null;
  /** Messages per second accepted before 429 / 20429 (0 = off). */
  rateLimitPerSecond: number;
}

export const DEFAULT_FAULTS: ApiFaults = { latencyMs: 0, failNext: null, rateLimitPerSecond: 0 };
