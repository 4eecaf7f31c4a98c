export {
  EMAIL_PROVIDER_OPS,
  type OutgoingEmail, type EmailSendResult, type EmailProvider, type EmailProviderOp, type EmailProviderCall, type EmailProviderHooks,
} from './port.ts';
export {
  EmailProviderError, EMAIL_ERROR_CODES, DEFAULT_RATE_LIMIT_RETRY_AFTER_MS, describeEmailErrorCode, isRelayWide,
  type EmailErrorCode, type EmailProviderErrorInit,
} from './errors.ts';
export { classifySmtpError, codeForReply, type SendStage } from './classify.ts';
export { parseSmtpReply, isThrottlingReply, type SmtpReply } from './smtp-reply.ts';
export { parseQueueId } from './queue-id.ts';
export { invalidMessage } from './validate.ts';
export { createSmtpProvider, smtpTransportOptions, STARTTLS_POLICIES, type SmtpOptions, type StartTlsPolicy } from './smtp-provider.ts';
export { smtpEnv, smtpOptionsFromEnv, type SmtpEnvSettings } from './config.ts';
export { createMemoryEmailProvider, type MemoryEmailProvider, type MemoryRelayScript, type MemoryReceivedEmail } from './memory-provider.ts';
export { assertNever } from './assert-never.ts';
