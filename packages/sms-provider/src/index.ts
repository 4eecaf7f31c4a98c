export {
  MESSAGE_STATUSES, VERIFICATION_STATUSES, PROVIDER_OPS,
  type SmsProvider, type PhoneVerifier, type FindSentQuery, type SendRequest, type SendResult, type ProviderMessage,
  type ProviderMessageStatus, type VerificationStatus, type ProviderCall, type ProviderOp,
} from './port.ts';
export {
  ProviderError, PROVIDER_ERROR_CODES, PROVIDER_ERROR_KINDS, DEFAULT_RETRY_AFTER_MS, describeErrorCode, codeForHttpError, httpProviderError, serverAnswerLeavesOutcomeUnknown, isProviderWide,
  type ProviderErrorCode, type ProviderErrorKind, type ProviderErrorInit,
} from './errors.ts';
export { toProviderError } from './classify.ts';
export { messageStatus, verificationStatus } from './status.ts';
export { createTwilioProvider, createTwilioClient, twilioProviderFromEnv, type TwilioProvider, type TwilioProviderOptions, type TwilioEnvSettings } from './twilio-provider.ts';
export { RedirectingRequestClient, createRequestClient, type HttpClientOptions } from './http-client.ts';
export {
  createTwilioAccount, twilioAccountFromEnv, configuredSender,
  type ProviderAccount, type AccountBalance, type SenderRef, type SenderLookup, type TwilioAccountOptions,
} from './account.ts';
