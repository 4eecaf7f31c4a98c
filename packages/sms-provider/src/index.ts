export type { SmsProvider, PhoneVerifier, SendRequest, ProviderMessage, ProviderCall } from './port.ts';
export { ProviderError, toProviderError, PROVIDER_ERROR_KINDS, type ProviderErrorKind } from './errors.ts';
export { createTwilioProvider, type TwilioProviderOptions } from './twilio-provider.ts';
