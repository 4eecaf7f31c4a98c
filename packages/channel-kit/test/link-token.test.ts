import { describe, expect, it } from 'vitest';
import { signLinkToken, verifyLinkToken } from '../src/link-token.ts';

const claims = { userId: '0b6f1c9e-3f0e-4f57-9d7e-1f3c5a2b8e11', channel: 'email', scope: 'task.reminder', messageId: '5d1f2a3b-0000-4000-8000-000000000001' };

describe('signed link tokens (unsubscribe links)', () => {
  it('round-trips the claims', () => {
    expect(verifyLinkToken('s3cret', signLinkToken('s3cret', claims))).toEqual(claims);
  });

  it('refuses a token signed with another secret, edited, or malformed', () => {
    const token = signLinkToken('s3cret', claims);
    expect(verifyLinkToken('other', token)).toBeNull();
    const [body, sig] = token.split('.') as [string, string];
    const edited = Buffer.from(JSON.stringify([claims.userId, 'email', 'all', claims.messageId])).toString('base64url');
    expect(verifyLinkToken('s3cret', `${edited}.${sig}`)).toBeNull();
    expect(verifyLinkToken('s3cret', `${body}.`)).toBeNull();
    expect(verifyLinkToken('s3cret', 'nodot')).toBeNull();
    expect(verifyLinkToken('s3cret', `${'a'.repeat(3000)}.x`)).toBeNull();
  });
});
