import { describe, expect, it } from 'vitest';
import { parseQueueId } from '../src/index.ts';

describe('parseQueueId', () => {
  it.each([
    ['250 2.0.0 Ok: queued as 4Z1abc2XYZ', '4Z1abc2XYZ'], // Postfix
    ['250 Ok: queued as 8pF3aUqNT8e0a6QXnO2Gpg', '8pF3aUqNT8e0a6QXnO2Gpg'], // SendGrid
    ['250 2.0.0 Ok: queued as x_Y-z.1', 'x_Y-z.1'],
    ['250 OK id=1abcDE-000123-Xy', '1abcDE-000123-Xy'], // Exim
    ['250 Ok 0100018b5c3c0a4f-2b8a0c3e-4e0c-4b8f-9a3e-1f2c3d4e5f60-000000', '0100018b5c3c0a4f-2b8a0c3e-4e0c-4b8f-9a3e-1f2c3d4e5f60-000000'], // Amazon SES
    ['250 2.0.0 OK <20240101.abc123@mailgun.example>', '20240101.abc123@mailgun.example'],
    ['  250 2.0.0 Ok: queued as TRIMMED  \r\n', 'TRIMMED'],
  ])('%j → %s', (response, id) => {
    expect(parseQueueId(response)).toBe(id);
  });

  it.each([
    ['250 Great success'], // Mailgun
    ['250 OK'],
    ['250 2.0.0 Ok'],
    ['250 Ok not-hex'],
    [''],
    ['550 5.1.1 queued as NOTREALLY'], // not a success reply
  ])('%j → null', (response) => {
    expect(parseQueueId(response)).toBeNull();
  });

  it('null and undefined → null', () => {
    expect(parseQueueId(null)).toBeNull();
    expect(parseQueueId(undefined)).toBeNull();
  });
});
