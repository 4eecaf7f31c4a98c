export { normalizeEmailAddress, emailLookupKey, MAX_EMAIL_LENGTH, type NormalizedEmail } from './address.ts';
export {
  compileEmailTemplate, EMAIL_TEMPLATE_FORMATS,
  type EmailTemplate, type EmailTemplateFormat, type CompiledEmailTemplate, type CompileResult, type MjmlError,
} from './compile.ts';
export { renderEmail, previewEmail, htmlToText, type RenderEmailResult, type RenderEmailErrorCode, type RenderedEmail } from './render.ts';
export { sanitizeSubject, MAX_SUBJECT_LENGTH } from './subject.ts';
export { safeEmailUrl } from './safe-url.ts';
export { fallbackEmail, fallbackFields, humanize, FALLBACK_MAX_FIELDS, FALLBACK_MAX_VALUE_LENGTH } from './fallback.ts';
export { withUnsubscribeFooter } from './footer.ts';
export {
  verifySendgridSignature, SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER, DEFAULT_SENDGRID_TOLERANCE_SECONDS,
  type SendgridSignatureInput, type SendgridSignatureFailure,
} from './sendgrid-signature.ts';
export {
  parseSendgridEvents, sendgridEventKind, sendgridUniqueArgsHeader, SENDGRID_EVENT_WORDS, EMAIL_EVENT_KINDS, MAX_REASON_LENGTH,
  type EmailProviderEvent, type EmailEventKind, type SendgridEventWord, type ParsedSendgridEvents,
} from './sendgrid-events.ts';
export { hubMessageIdHeader, parseHubMessageId } from './message-id.ts';
