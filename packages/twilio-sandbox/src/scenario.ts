/** What happens to an accepted message: its final outcome and how its callbacks arrive. */
export const OUTCOMES = ['delivered', 'undelivered', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Scenario {
  /** Final status reported through fetch and callbacks. */
  outcome: Outcome;
  /** Error code of an undelivered/failed outcome (default 30003 undelivered, 30008 failed). */
  errorCode?: number | undefined;
  /** Delay before each callback (and each status change), in ms. */
  delayMs: number;
  /** Post every callback twice. */
  duplicate: boolean;
  /** Post the callbacks in reverse order (the final status first). */
  outOfOrder: boolean;
  /** Post no callbacks at all; the message still moves on (fetch shows it): for reconciliation. */
  dropCallbacks: boolean;
  /** Post every callback but the final one. */
  dropFinal: boolean;
  /** Include the "queued" callback before "sent". */
  queuedCallback: boolean;
}

export const DEFAULT_SCENARIO: Readonly<Scenario> = {
  outcome: 'delivered',
  delayMs: 20,
  duplicate: false,
  outOfOrder: false,
  dropCallbacks: false,
  dropFinal: false,
  queuedCallback: true,
};

/** Forced failures of the next N API requests (control endpoints are never affected). */
export interface FailNext {
  count: number;
  /** HTTP status: 401, 429, 500, 503… */
  status: number;
  /** Twilio code in the body; default 20003 for 401, 20429 for 429, 20500/20503 for 5xx. */
  code?: number | null | undefined;
  /** 'html' answers a non-JSON body (the SDK then has no code). Default 'json'. */
  body?: 'json' | 'html' | undefined;
  /** Only requests with this method count (and fail): e.g. GET for lookups, POST for creates. */
  method?: 'GET' | 'POST' | undefined;
  /** Only requests whose path ends so count: e.g. '/Messages.json' (create and list, not fetch). */
  pathEndsWith?: string | undefined;
}

/** Faults of the API itself (health checks, error handling, rate limiting). */
export interface ApiFaults {
  /** Added to every API request once it is read, before it is handled (a slow provider), in ms. */
  latencyMs: number;
  failNext: FailNext | null;
  /** The next N API requests have their connection destroyed (a network error, ECONNRESET). */
  resetNext: number;
  /**
   * The next N API requests are carried out (a message is created) and then their connection
   * is destroyed instead of answered: the caller cannot know the outcome.
   */
  resetAfterNext: number;
  /**
   * The next N API requests are carried out (a message is created, its callbacks follow) and
   * then answered with this HTTP error instead of their result: a 500 / 502 / 504 from a
   * proxy or an edge that lost the upstream answer. The caller cannot know the outcome.
   */
  failAfterNext: FailNext | null;
  /** Messages per second accepted before 429 / 20429 (0 = no limit). */
  rateLimitPerSecond: number;
}

export const DEFAULT_FAULTS: Readonly<ApiFaults> = { latencyMs: 0, failNext: null, resetNext: 0, resetAfterNext: 0, failAfterNext: null, rateLimitPerSecond: 0 };

export function defaultErrorCode(outcome: Outcome): number | null {
  switch (outcome) {
    case 'delivered':
      return null;
    case 'undelivered':
      return 30003;
    case 'failed':
      return 30008;
    default:
      return assertNever(outcome);
  }
}

/** The Twilio code a forced failure carries when none is given. */
export function defaultFaultCode(status: number): number | null {
  if (status === 401) return 20003;
  if (status === 404) return 20404;
  if (status === 429) return 20429;
  if (status === 503) return 20503;
  if (status >= 500) return 20500;
  return null;
}

export function assertNever(value: never, context = 'value'): never {
  throw new Error(`Unexpected ${context}: ${JSON.stringify(value)}`);
}

/** JSON schemas of the control endpoints' bodies (validated by Fastify). */
export const scenarioBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    to: { type: 'string', minLength: 1 },
    outcome: { type: 'string', enum: [...OUTCOMES] },
    errorCode: { type: ['integer', 'null'] },
    delayMs: { type: 'integer', minimum: 0 },
    duplicate: { type: 'boolean' },
    outOfOrder: { type: 'boolean' },
    dropCallbacks: { type: 'boolean' },
    dropFinal: { type: 'boolean' },
    queuedCallback: { type: 'boolean' },
  },
} as const;

const failNextSchema = {
  anyOf: [
    { type: 'null' },
    {
      type: 'object',
      additionalProperties: false,
      required: ['count', 'status'],
      properties: {
        count: { type: 'integer', minimum: 0 },
        status: { type: 'integer', minimum: 400, maximum: 599 },
        code: { type: ['integer', 'null'] },
        body: { type: 'string', enum: ['json', 'html'] },
        method: { type: 'string', enum: ['GET', 'POST'] },
        pathEndsWith: { type: 'string', minLength: 1 },
      },
    },
  ],
} as const;

export const faultsBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    latencyMs: { type: 'integer', minimum: 0 },
    resetNext: { type: 'integer', minimum: 0 },
    resetAfterNext: { type: 'integer', minimum: 0 },
    rateLimitPerSecond: { type: 'number', minimum: 0 },
    failNext: failNextSchema,
    failAfterNext: failNextSchema,
  },
} as const;
