// The account routes as declarations of the one route mechanism: the OpenAPI document they
// produce (account.md §1, §2), and views that take no body never read one (as DRF's did not).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import { freshUser, startAccount, token } from './support.js';

let t: TestApp;
let doc: any;
beforeAll(async () => {
  t = await startAccount();
  doc = (await request(t.url, 'GET', '/openapi.json')).json;
});
afterAll(async () => {
  await t?.close();
});

function operations(): Array<[string, string, any]> {
  return Object.entries<Record<string, any>>(doc.paths)
    .filter(([path]) => path.startsWith('/account/') || path.startsWith('/acount/'))
    .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]): [string, string, any] => [method.toUpperCase(), path, op]));
}

describe('the OpenAPI document (§2)', () => {
  it('lists each served operation once (the /acount/ spelling is served, not listed), with no HEAD or OPTIONS', () => {
    expect(operations().map(([method, path, op]) => `${method} ${path} ${op.operationId}`)).toEqual([
      'POST /account/register accountRegister',
      'POST /account/login accountLogin',
      'POST /account/logout accountLogout',
      'GET /account/profile accountGetProfile',
      'POST /account/delete accountDelete',
      'GET /account/get_pictures accountGetPictures',
      'POST /account/set_picture accountSetPicture',
    ]);
  });

  it('tags every operation account, and names the Token credential where it is required (§2)', () => {
    const open = new Set(['accountRegister', 'accountLogin']);
    for (const [, , op] of operations()) {
      expect(op.tags, op.operationId).toEqual(['account']);
      expect(op.summary, op.operationId).toBeTruthy();
      expect(op.security, op.operationId).toEqual(open.has(op.operationId) ? [] : [{ accountToken: [] }]);
      expect(op.responses['401'].headers['WWW-Authenticate'], op.operationId).toBeDefined();
      expect(op.responses['405'].content['application/json'].schema.required, op.operationId).toEqual(['detail']);
    }
  });

  it('describes the bodies of the operations that read one, and only those (§2.1, §2.2, §2.7)', () => {
    const bodies = Object.fromEntries(operations().map(([, , op]) => [op.operationId, op.requestBody?.content['application/json'].schema]));
    expect(bodies.accountRegister.required).toEqual(['username', 'email', 'password']);
    expect([bodies.accountRegister.properties.username.maxLength, bodies.accountRegister.properties.email.maxLength, bodies.accountRegister.properties.password.maxLength]).toEqual([32, 256, 128]);
    expect(bodies.accountLogin.required).toEqual(['username', 'password']);
    expect(bodies.accountSetPicture.required).toEqual(['id']);
    for (const id of ['accountLogout', 'accountGetProfile', 'accountDelete', 'accountGetPictures']) expect(bodies[id], id).toBeUndefined();
  });
});

describe('views that take no body', () => {
  it('never read one: logout and delete succeed whatever body comes along', async () => {
    const a = await freshUser(t);
    const out = await request(t.url, 'POST', '/account/logout', { headers: { ...token(a.key), 'content-type': 'text/plain' }, body: 'x' });
    expect(out.json).toEqual({ success: true });
    expect((await request(t.url, 'GET', '/account/profile', { headers: token(a.key) })).status).toBe(401);
    const b = await freshUser(t);
    const gone = await request(t.url, 'POST', '/account/delete', { headers: { ...token(b.key), 'content-type': 'application/json' }, body: '{' });
    expect(gone.json).toEqual({ success: true });
    expect(await t.ctx.accounts.byUsername(b.username)).toBeUndefined();
  });
});
