// The api-user routes as declarations of the one route mechanism: the OpenAPI document they
// produce (api-user.md §1, §3), and the body read only after the method check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import { freshUser, jwt, startApiUser } from './support.js';

let t: TestApp;
let doc: any;
beforeAll(async () => {
  t = await startApiUser();
  doc = (await request(t.url, 'GET', '/openapi.json')).json;
});
afterAll(async () => {
  await t?.close();
});

function operations(): Array<[string, string, any]> {
  return Object.entries<Record<string, any>>(doc.paths)
    .filter(([path]) => path.startsWith('/api/user/'))
    .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]): [string, string, any] => [method.toUpperCase(), path, op]));
}

describe('the OpenAPI document (§3)', () => {
  it('lists each served operation once, under its first spelling, with no HEAD or OPTIONS', () => {
    expect(operations().map(([method, path, op]) => `${method} ${path} ${op.operationId}`)).toEqual([
      'POST /api/user/login apiUserLogin',
      'POST /api/user/register apiUserRegister',
      'GET /api/user/me apiUserGetMe',
      'PUT /api/user/update apiUserUpdate',
      'POST /api/user/refresh apiUserRefresh',
      'GET /api/user/media/{image_name} apiUserGetMedia',
    ]);
  });

  it('tags every operation api-user, and names the JWT credential where it is required (§1.4)', () => {
    const required = new Set(['apiUserGetMe', 'apiUserUpdate']);
    for (const [, , op] of operations()) {
      expect(op.tags, op.operationId).toEqual(['api-user']);
      expect(op.summary, op.operationId).toBeTruthy();
      expect(op.security, op.operationId).toEqual(required.has(op.operationId) ? [{ apiUserJwt: [] }] : []);
    }
    expect(doc.components.securitySchemes.apiUserJwt).toBeDefined();
  });

  it('describes each body with its fields, required ones and length caps (§3.1–§3.5)', () => {
    const body = (id: string) => operations().find(([, , op]) => op.operationId === id)![2].requestBody.content['application/json'].schema;
    expect(body('apiUserLogin').required).toEqual(['email', 'password']);
    const register = body('apiUserRegister');
    expect(register.required).toEqual(['email', 'full_name', 'password']);
    expect(Object.keys(register.properties)).toEqual(['email', 'full_name', 'profile_pic', 'password']);
    expect([register.properties.email.maxLength, register.properties.full_name.maxLength, register.properties.password.maxLength]).toEqual([254, 250, 128]);
    expect(body('apiUserUpdate').required ?? []).toEqual([]);
    expect(body('apiUserRefresh').required).toEqual(['refresh']);
    const media = operations().find(([, , op]) => op.operationId === 'apiUserGetMedia')![2];
    expect(media.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'image_name', required: true })]);
    expect(media.requestBody).toBeUndefined();
  });

  it('gives every status the spec names a response in the object error shape', () => {
    const statuses = Object.fromEntries(operations().map(([, , op]) => [op.operationId, Object.keys(op.responses)]));
    expect(statuses).toEqual({
      apiUserLogin: ['200', '400', '401', '405', '413', '415', '500', '503'],
      apiUserRegister: ['201', '400', '401', '405', '413', '415', '500', '503'],
      apiUserGetMe: ['200', '401', '405', '500', '503'],
      apiUserUpdate: ['200', '400', '401', '405', '413', '415', '500', '503'],
      apiUserRefresh: ['200', '400', '401', '405', '413', '415', '500', '503'],
      apiUserGetMedia: ['200', '304', '404', '405', '500', '503'],
    });
    for (const [, , op] of operations()) {
      expect(op.responses['405'].content['application/json'].schema.required, op.operationId).toEqual(['detail']);
      if (op.responses['401']) expect(op.responses['401'].headers['WWW-Authenticate'], op.operationId).toBeDefined();
    }
  });
});

describe('the body is read after the method check (§1.2)', () => {
  it('a wrong method or OPTIONS with an unreadable body answers 405 or the metadata, not 415', async () => {
    const u = await freshUser(t);
    const patch = await request(t.url, 'PATCH', '/api/user/update', { headers: { ...jwt(u.access), 'content-type': 'text/plain' }, body: 'x' });
    expect(patch.status).toBe(405);
    expect(patch.json).toEqual({ detail: 'Method "PATCH" not allowed.' });
    const options = await request(t.url, 'OPTIONS', '/api/user/login', { headers: { 'content-type': 'application/json' }, body: '{' });
    expect(options.status).toBe(200);
    expect(options.json.name).toBe('Login');
  });
});
