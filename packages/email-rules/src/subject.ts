/**
 * A subject line fit for the Subject header: control characters (CR, LF, tab, the C1 set,
 * Unicode line/paragraph separators) collapse to single spaces, runs of spaces to one, the
 * ends trimmed — header injection is impossible — and at most 998 characters (RFC 5322's
 * line limit; nodemailer encodes and folds it on the wire).
 */
export const MAX_SUBJECT_LENGTH = 998;

// eslint-disable-next-line no-control-regex
const CONTROL_RUNS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

export function sanitizeSubject(subject: string): string {
  const flat = subject.replace(CONTROL_RUNS, ' ').replace(/ {2,}/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= MAX_SUBJECT_LENGTH ? flat : chars.slice(0, MAX_SUBJECT_LENGTH).join('').trimEnd();
}
