export { createTwilioSandbox, type SandboxOptions, type TwilioSandbox } from './sandbox.ts';
export { DEFAULT_SCENARIO, DEFAULT_FAULTS, type Scenario, type ApiFaults } from './scenario.ts';
export { TO_ERRORS, FROM_ERRORS, VALID_TEST_FROM } from './numbers.ts';
export type { SandboxMessage, SentRecord } from './store.ts';
