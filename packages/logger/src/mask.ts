/**
 * Personal addresses are never logged whole (the seeds' privacy rule): a phone number keeps
 * its country-code-ish head and its last two digits (+1415•••••67), an email address its
 * first character and its domain (j•••@example.com). Used as pino's redact censor on the
 * fields that carry addresses, so a value that is not an address (a channel name in `to`,
 * an id) passes unchanged.
 */
const PHONE = /^((?:whatsapp|messenger|sms):)?(\+?[\d(][\d\s().-]{5,}\d)$/i;
const EMAIL = /^([^@\s]+)@([^@\s]+)$/;

export function maskAddress(value: unknown): unknown {
  if (typeof value !== 'string' || /^\d{4}-\d{2}-\d{2}$/.test(value)) return value; // a date in `from`/`to`
  const phone = PHONE.exec(value.trim());
  if (phone) {
    const digits = phone[2]!.replace(/\D/g, '');
    const plus = phone[2]!.startsWith('+') ? '+' : '';
    const head = digits.length > 8 ? digits.slice(0, 4) : digits.slice(0, 1);
    return `${phone[1] ?? ''}${plus}${head}${'•'.repeat(Math.max(1, digits.length - head.length - 2))}${digits.slice(-2)}`;
  }
  const email = EMAIL.exec(value.trim());
  if (email) return `${email[1]!.slice(0, 1)}•••@${email[2]}`;
  return value;
}

/** Field names (top level and one object down: `{ sms: { from } }`) whose values may be addresses. */
export const ADDRESS_FIELDS = ['phone', 'phoneNumber', 'from', 'to', 'address', 'emailAddress', 'email', 'recipient', 'fromE164', 'toE164'];
