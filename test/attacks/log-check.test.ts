// The log check finds what it is meant to find, so "no leak" is a result and not a blind spot.
import { describe, expect, it } from 'vitest';
import { SECRET_MARK } from './identities.js';
import { findLeaks, mailSecrets } from './log-check.js';

const TOKEN = 'b3f1c0ffee5a1e7d9c2b4a6f8e0d1c3b5a7f9e1d3c5b7a9f1e3d5c7b9a1f3e5d';
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwidXNlcl9pZCI6IngifQ.Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0';

describe('findLeaks', () => {
  it('finds a secret whole, quoted, glued to other text, in a URL, and the mark', () => {
    const log = [
      '{"level":30,"msg":"request","route":"/v1/user/me/"}',
      `{"level":50,"err":"bad token ${TOKEN}"}`,
      `{"level":30,"url":"/v1/user/email/verify/x${TOKEN.slice(0, 40)}yz/"}`,
      `{"level":30,"authorization":"Bearer ${JWT}"}`,
      `{"level":30,"body":"{\\"password\\":\\"Pw${SECRET_MARK}abc,9\\"}"}`,
      '{"level":30,"msg":"nothing here 0123456789abcdef0123"}',
    ].join('\n');
    const lines = log.split('\n');
    const leaks = findLeaks(log, [TOKEN, TOKEN.slice(0, 40), JWT]);
    expect(leaks.map((l) => l.line)).toEqual([
      lines[1].replace(TOKEN, '<secret>'),
      lines[2].replace(TOKEN.slice(0, 40), '<secret>'),
      lines[3].replace(JWT, '<secret>'),
      lines[4].replace(SECRET_MARK, '<secret>'),
    ]);
  });

  it('says nothing of a log without secrets', () => {
    expect(findLeaks('{"msg":"request","route":"/v1/user/me/","status":200}\n', [TOKEN, JWT, 'short'])).toEqual([]);
  });

  it('takes the tokens of mailed links', () => {
    const token = 'Qm9ndXNUb2tlbkZvclRoZVRlc3RPZlRoZUxvZ0NoZWNr';
    const secrets = mailSecrets([{ from: '', to: [], subject: '', html: '', raw: '', text: `Open http://127.0.0.1:8000/v1/user/password/reset/confirm/?token=${token} now.` }]);
    expect(secrets).toContain(token);
  });
});
