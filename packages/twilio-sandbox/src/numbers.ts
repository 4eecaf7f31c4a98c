/**
 * Twilio's magic test numbers, answered the way its test credentials answer them
 * (https://www.twilio.com/docs/iam/test-credentials, "Test SMS messages").
 * The table is also in the package README; keep the two in step.
 */
export interface TestNumberError {
  status: number;
  code: number;
  message: string;
}

/** Destinations that are refused at the API with a 400 (nothing is sent, no callback). */
export const TO_ERRORS: Readonly<Record<string, TestNumberError>> = {
  '+15005550001': { status: 400, code: 21211, message: "The 'To' number +15005550001 is not a valid phone number." },
  '+15005550002': { status: 400, code: 21612, message: "The 'To' phone number: +15005550002, is not currently reachable using the 'From' phone number via SMS." },
  '+15005550003': { status: 400, code: 21408, message: 'Permission to send an SMS has not been enabled for the region indicated by the \'To\' number: +15005550003.' },
  '+15005550004': { status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' },
  '+15005550009': { status: 400, code: 21614, message: "'To' number +15005550009 is not a valid mobile number" },
};

/** Senders that are refused. Any other From that is not registered gets 21606. */
export const FROM_ERRORS: Readonly<Record<string, TestNumberError>> = {
  '+15005550001': { status: 400, code: 21212, message: "The 'From' number +15005550001 is not a valid phone number, shortcode, or alphanumeric sender ID." },
  '+15005550007': { status: 400, code: 21606, message: "The 'From' phone number provided (+15005550007) is not a valid message-capable Twilio phone number for this account." },
  '+15005550008': { status: 400, code: 21611, message: "This 'From' number (+15005550008) has exceeded the maximum number of queued messages." },
};

/** The From number Twilio's test credentials accept (more can be registered per sandbox). */
export const VALID_TEST_FROM = '+15005550006';

export const unknownFromError = (from: string): TestNumberError => ({
  status: 400,
  code: 21606,
  message: `The 'From' phone number provided (${from}) is not a valid message-capable Twilio phone number for this account.`,
});

const E164 = /^\+[1-9]\d{6,14}$/;
export const isE164 = (s: string): boolean => E164.test(s);

/** A Messaging Service SID as Twilio spells it: MG + 32 hex digits. */
export const isMessagingServiceSid = (s: string): boolean => /^MG[0-9a-f]{32}$/i.test(s);

/** Verify refuses these at the start (the rest of the magic numbers are accepted). */
export const VERIFY_TO_ERRORS: Readonly<Record<string, TestNumberError>> = {
  '+15005550001': { status: 400, code: 60200, message: 'Invalid parameter `To`: +15005550001' },
  '+15005550009': { status: 400, code: 60205, message: 'SMS is not supported by landline phone number' },
};

/** error_message for the delivery error codes the scenarios use (others get a generic text). */
export const DELIVERY_ERROR_MESSAGES: Readonly<Record<number, string>> = {
  30001: 'Queue overflow',
  30002: 'Account suspended',
  30003: 'Unreachable destination handset',
  30004: 'Message blocked',
  30005: 'Unknown destination handset',
  30006: 'Landline or unreachable carrier',
  30007: 'Message filtered',
  30008: 'Unknown error',
};
