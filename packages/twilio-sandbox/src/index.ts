export { createTwilioSandbox, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, type SandboxOptions, type SandboxStats, type TwilioSandbox } from './sandbox.ts';
export {
  DEFAULT_SCENARIO, DEFAULT_FAULTS, OUTCOMES, defaultErrorCode, defaultFaultCode,
  type Scenario, type Outcome, type ApiFaults, type FailNext,
} from './scenario.ts';
export { TO_ERRORS, FROM_ERRORS, VERIFY_TO_ERRORS, VALID_TEST_FROM, type TestNumberError } from './numbers.ts';
export { planLifecycle, callbackParams, type Plan, type Step } from './lifecycle.ts';
export type { CallbackStats } from './callbacks.ts';
export type { SchedulingWindow } from './context.ts';
export type { SandboxMessage, SandboxStatus, SentRecord, SentMessage, VerificationRecord, VerifyStartRecord } from './store.ts';
export { startCallbackReceiver, type CallbackReceiver, type ReceivedCallback } from './receiver.ts';
export type { ApiRequestRecord } from './faults.ts';
