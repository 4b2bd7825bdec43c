// What is taken from the provider about the person (social.md §3): ID token first, userinfo
// for what it lacks, and nothing that could not be stored as the user's own.
import { describe, expect, it } from 'vitest';
import type { IDToken, UserInfoResponse } from 'openid-client';
import { needsUserinfo, readClaims } from '../../../src/core/oidc/claims.js';

const base = { iss: 'https://idp.example', aud: 'gatehouse', iat: 1, exp: 2, sub: 'abc' };
const idToken = (claims: Record<string, unknown>) => ({ ...base, ...claims }) as IDToken;
const userinfo = (claims: Record<string, unknown>) => ({ sub: 'abc', ...claims }) as UserInfoResponse;

describe('readClaims', () => {
  it('takes the ID token’s claims and lower-cases the address’s domain', () => {
    const t = idToken({ email: 'Ann@Corp.EXAMPLE', email_verified: true, name: ' Ann ' });
    expect(needsUserinfo(t)).toBe(false);
    expect(readClaims(t, null)).toEqual({ sub: 'abc', email: 'Ann@corp.example', emailVerified: true, name: 'Ann' });
  });

  it('fills what the ID token lacks from userinfo, the ID token winning', () => {
    const t = idToken({ name: 'From token' });
    expect(needsUserinfo(t)).toBe(true);
    expect(readClaims(t, userinfo({ email: 'a@corp.example', email_verified: true, name: 'From userinfo' }))).toEqual({ sub: 'abc', email: 'a@corp.example', emailVerified: true, name: 'From token' });
  });

  it('never carries userinfo’s verified flag over to another address', () => {
    const t = idToken({ email: 'token@corp.example' });
    expect(readClaims(t, userinfo({ email: 'other@corp.example', email_verified: true }))!.emailVerified).toBe(false);
    expect(readClaims(t, userinfo({ email: 'token@corp.example', email_verified: true }))!.emailVerified).toBe(true);
  });

  it('anything but an explicit true is unverified; a bad address is no address', () => {
    for (const flag of [false, 'false', 1, 'yes', null, undefined]) {
      expect(readClaims(idToken({ email: 'a@corp.example', email_verified: flag }), null)!.emailVerified).toBe(false);
    }
    expect(readClaims(idToken({ email: 'a@corp.example', email_verified: 'true' }), null)!.emailVerified).toBe(true);
    for (const email of ['not-an-address', `${'a'.repeat(195)}@x.example`, 42, '']) {
      expect(readClaims(idToken({ email, email_verified: true }), null)).toMatchObject({ email: null, emailVerified: false });
    }
  });

  it('caps the name at 250 characters and refuses a missing or oversized sub', () => {
    expect(readClaims(idToken({ name: '😀'.repeat(300) }), null)!.name).toBe('😀'.repeat(250));
    expect(readClaims(idToken({ name: 7 }), null)!.name).toBe('');
    expect(readClaims(idToken({ sub: '' }), null)).toBeNull();
    expect(readClaims(idToken({ sub: 'x'.repeat(256) }), null)).toBeNull();
  });
});
