/**
 * Twilio's magic test numbers, answered the way its test credentials answer them.
 * https://www.twilio.com/docs/iam/test-credentials (documented behaviour, reproduced here).
 */
export interface TestNumberError {
  status: number;
  code: number;
  message: string;
}

export const TO_ERRORS: Record<string, TestNumberError> = {
  '+15005550001': { status: 400, code: 21211, message: "The 'To' number +15005550001 is not a valid phone number." },
  '+15005550002': { status: 400, code: 21612, message: "The 'To' phone number is not currently reachable via SMS." },
  '+15005550003': { status: 400, code: 21408, message: 'Permission to send an SMS has not been enabled for the region indicated by the To number.' },
  '+15005550004': { status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' },
  '+15005550009': { status: 400, code: 21614, message: "'To' number is not a valid mobile number" },
};

export const FROM_ERRORS: Record<string, TestNumberError> = {
  '+15005550001': { status: 400, code: 21212, message: "The 'From' number +15005550001 is not a valid phone number, shortcode, or alphanumeric sender ID." },
  '+15005550007': { status: 400, code: 21606, message: "The 'From' phone number provided is not a valid message-capable Twilio phone number for this account." },
  '+15005550008': { status: 400, code: 21611, message: "This 'From' number has exceeded the maximum number of queued messages." },
};

/** The one From number Twilio's test credentials accept. */
export const VALID_TEST_FROM = '+15005550006';
