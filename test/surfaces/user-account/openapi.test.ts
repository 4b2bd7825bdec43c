// The OpenAPI document the user-account route declarations produce: every served operation,
// with its tag, id, credential, named path parameter and the statuses user-account.md names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import { startUa } from './helpers.js';

let t: TestApp;
let paths: Record<string, Record<string, any>>;
beforeAll(async () => {
  t = await startUa();
  paths = (await request(t.url, 'GET', '/openapi.json')).json.paths;
});
afterAll(async () => {
  await t?.close();
});

const TOKEN = [{ userAccountBearer: [] }, { userAccountCookie: [] }];

describe('OpenAPI of user-account', () => {
  it.each([
    ['post', '/user_account/login', 'userAccountLogin', [], ['200', '400', '401', '413', '415']],
    ['post', '/user_account/registration', 'userAccountRegister', [], ['200', '400', '413', '415']],
    ['post', '/user_account/reset_password_request', 'userAccountRequestPasswordReset', [], ['200', '400', '401', '403', '413', '415', '422']],
    ['get', '/user_account/profile_settings', 'userAccountProfileSettings', TOKEN, ['200', '401', '403', '422']],
    ['get', '/user_account/confirm_email/{token}', 'userAccountConfirmEmail', [], ['200', '400']],
    ['get', '/user_account/reset_password/{token}', 'userAccountPasswordResetPage', [], ['200', '400']],
    ['post', '/user_account/reset_password/{token}', 'userAccountResetPassword', [], ['200', '400', '401', '403', '413', '415', '422']],
    ['get', '/user_account/logout', 'userAccountLogout', TOKEN, ['200', '401', '403', '422']],
  ])('%s %s', (method, path, operationId, security, statuses) => {
    const op = paths[path]?.[method];
    expect(op, `${method} ${path}`).toBeDefined();
    expect(op.operationId).toBe(operationId);
    expect(op.tags).toEqual(['user-account']);
    expect(op.summary).toBeTruthy();
    expect(op.security).toEqual(security);
    expect(Object.keys(op.responses).sort()).toEqual(statuses);
    if (path.includes('{token}')) expect(op.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'token', required: true })]);
    if (method === 'post') expect(Object.keys(op.requestBody.content)).toEqual(['application/json']);
  });

  it('lists nothing else: no wildcard, no HEAD or OPTIONS', () => {
    const documented = Object.entries(paths)
      .filter(([path]) => path.startsWith('/user_account/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented).toHaveLength(8);
    expect(documented.join('\n')).not.toMatch(/\*|head |options /);
  });

  it('errors are {"msg": …} objects', () => {
    const login = paths['/user_account/login'].post;
    for (const status of ['400', '401', '413', '415']) {
      expect(login.responses[status].content['application/json'].schema).toMatchObject({ type: 'object', properties: { msg: { type: 'string' } }, required: ['msg'] });
    }
    expect(paths['/user_account/registration'].post.requestBody.content['application/json'].schema.required).toEqual(['username', 'full_name', 'email', 'pwd']);
  });
});
