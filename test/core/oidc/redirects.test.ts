// Where a provider sign-in may send the browser (social.md §1) and how the outcome is added
// (§2.4). The attack cases are the open-redirect tricks that fool naive prefix checks.
import { describe, expect, it } from 'vitest';
import { resolveNext, withResult } from '../../../src/core/oidc/redirects.js';

const BASE = 'https://id.example.com';
const ORIGINS = ['https://app.example.com', 'http://localhost:3000'];

describe('resolveNext', () => {
  it('takes a path relative to the base and keeps it on the base origin', () => {
    expect(resolveNext('/welcome?tab=1#top', ORIGINS, BASE)).toBe('https://id.example.com/welcome?tab=1#top');
    expect(resolveNext('/', null, 'http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000/');
  });

  it('takes an absolute URL whose origin is allowed', () => {
    expect(resolveNext('https://app.example.com/after/login', ORIGINS, BASE)).toBe('https://app.example.com/after/login');
    expect(resolveNext('http://localhost:3000/cb', ORIGINS, BASE)).toBe('http://localhost:3000/cb');
    expect(resolveNext('HTTPS://APP.EXAMPLE.COM/x', ORIGINS, BASE)).toBe('https://app.example.com/x');
  });

  it('without OAUTH_REDIRECT_ORIGINS only the base origin is allowed', () => {
    expect(resolveNext('https://id.example.com/x', null, BASE)).toBe('https://id.example.com/x');
    expect(resolveNext('https://app.example.com/x', null, BASE)).toBeNull();
  });

  it.each([
    [undefined],
    [null],
    [''],
    ['//evil.example/x'],
    ['/\\evil.example/x'],
    ['/\t/evil.example'],
    ['/ /evil.example'],
    ['\\\\evil.example'],
    ['https://evil.example/'],
    ['https://app.example.com.evil.example/'],
    ['https://app.example.com:444/'],
    ['http://app.example.com/'],
    ['https://user:pw@app.example.com/'],
    ['https://app.example.com@evil.example/'],
    ['javascript:alert(1)'],
    ['data:text/html,hi'],
    ['welcome'],
    ['https:evil.example'],
    ['/x\n'],
    ['/' + 'a'.repeat(2048)],
  ])('refuses %j', (next) => {
    expect(resolveNext(next as string | undefined, ORIGINS, BASE)).toBeNull();
  });
});

describe('withResult', () => {
  it('adds exactly one parameter and keeps the others as written', () => {
    expect(withResult('https://app.example.com/cb', 'login_code', 'abc')).toBe('https://app.example.com/cb?login_code=abc');
    expect(withResult('https://app.example.com/cb?a=%20b&c=d+e#frag', 'linked', 'corp')).toBe('https://app.example.com/cb?a=%20b&c=d+e&linked=corp#frag');
  });

  it('replaces a result parameter that the next URL already carried', () => {
    const url = new URL(withResult('https://app.example.com/cb?login_code=planted&login_error=x&linked=y&keep=1', 'login_error', 'access_denied'));
    expect([...url.searchParams]).toEqual([['keep', '1'], ['login_error', 'access_denied']]);
    const encoded = new URL(withResult('https://app.example.com/cb?login%5Fcode=planted', 'login_code', 'real'));
    expect(encoded.searchParams.getAll('login_code')).toEqual(['real']);
  });
});
