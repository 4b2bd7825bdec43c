// What the README's "Two-factor authentication" section tells a user is what the service does:
// the shapes of its example answers and the messages it quotes, followed step by step.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { V1, knoxLogin, registerUser, request, startV1, tokenHeader } from './helpers.js';
import { Authenticator, secondStep } from './mfa-support.js';

const README = fs.readFileSync('README.md', 'utf8');
const SECTION = (() => {
  const start = README.indexOf('\n## Two-factor authentication\n');
  const rest = README.slice(start + 1);
  return rest.slice(0, rest.indexOf('\n## ', 3));
})();

let t: TestApp;
beforeAll(async () => {
  t = await startV1();
});
afterAll(async () => {
  await t?.close();
});

/** The keys of the JSON object printed after `# ` in the example, in order. */
function exampleKeys(marker: string): string[] {
  const line = SECTION.split('\n').find((l) => l.startsWith('# {') && l.includes(marker));
  expect(line, marker).toBeDefined();
  return [...line!.matchAll(/"([a-z_]+)":/g)].map((m) => m[1]);
}

describe('README: two-factor authentication', () => {
  it('is a section of its own, linked from the v1 surface', () => {
    expect(SECTION.length).toBeGreaterThan(500);
    expect(README).toMatch(/\| `v1` \|.*\]\(#two-factor-authentication\)/);
    expect(fs.existsSync('docs/two-factor.md')).toBe(true);
  });

  it('turning it on and logging in answer as the examples show', async () => {
    const user = await registerUser(t.url);
    const token = await knoxLogin(t.url, user);
    const start = await request(t.url, 'POST', V1 + 'mfa/totp/', { json: { password: user.password }, headers: tokenHeader(token) });
    expect(Object.keys(start.json)).toEqual(exampleKeys('"secret"'));
    expect(start.json.otpauth_url).toMatch(/^otpauth:\/\/totp\/Gatehouse:[^?]+\?secret=[A-Z2-7]{32}&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30$/);
    const totp = new Authenticator(start.json.secret);
    const confirm = await request(t.url, 'POST', V1 + 'mfa/totp/confirm/', { json: { code: await totp.next() }, headers: tokenHeader(token) });
    expect(Object.keys(confirm.json)).toEqual(exampleKeys('"recovery_codes"'));

    const challenge = /```json\n(\{"mfa_required"[^\n]*)\n```/.exec(SECTION)![1];
    const shown = JSON.parse(challenge.replace('q8Yx…', 'x'));
    const login = await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: user.email, password: user.password } });
    expect(Object.keys(login.json)).toEqual(Object.keys(shown));
    expect(login.json.methods).toEqual(shown.methods);

    const wrong = await secondStep(t.url, login.json.mfa_token, (await totp.wrong())[0]);
    const prose = SECTION.replace(/\s+/g, ' ');
    expect(prose).toContain(`401 \`${JSON.stringify(wrong.json)}\``);
    const dead = await secondStep(t.url, 'x'.repeat(43), '123456');
    expect(prose).toContain(`(401 \`${JSON.stringify(dead.json)}\`)`);
    const done = await secondStep(t.url, login.json.mfa_token, await totp.next());
    expect(Object.keys(done.json)).toEqual(['id', 'email', 'username', 'token']);
  });
});
