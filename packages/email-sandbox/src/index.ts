export { createEmailSandbox, type EmailSandbox, type EmailSandboxOptions, type SandboxStats } from './sandbox.ts';
export { FAULTS, EVENT_KINDS, isFault, isEventKind, type Fault, type SandboxEventKind, type StoredMail } from './types.ts';
export { MAGIC_LOCAL_PARTS, magicFault, phaseOf, type FaultPhase } from './faults.ts';
export { buildEvent, kindFields, type SendGridEvent } from './events.ts';
export { EventSigner, verifyEventSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signing.ts';
export { SandboxError, SANDBOX_ERROR_CODES, type SandboxErrorCode } from './errors.ts';
export { unsubscribeUrl, type UnsubscribeResult } from './unsubscribe.ts';
export { startEventReceiver, type EventReceiver, type ReceivedPost } from './receiver.ts';
