// The users routes as the OpenAPI document describes them: every operation from its declaration,
// with its tag, id, security, body and the answers users.md names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';

let t: TestApp;
let paths: Record<string, Record<string, any>>;
beforeAll(async () => {
  t = await startApp({ SURFACES: 'users' });
  paths = (await request(t.url, 'GET', '/openapi.json')).json.paths;
});
afterAll(async () => {
  await t?.close();
});

const OPERATIONS: Array<[string, string, string, number[]]> = [
  ['get', '/', 'usersHello', [200, 405]],
  ['get', '/get-csrf-token/', 'usersGetCsrfToken', [200, 405]],
  ['post', '/users/register/', 'usersRegister', [201, 400, 403, 405, 413]],
  ['post', '/users/login/', 'usersLogin', [200, 400, 401, 403, 405, 413]],
  ['post', '/users/logout/', 'usersLogout', [200, 401, 403, 405]],
  ['post', '/users/avatar/', 'usersUploadAvatar', [200, 400, 401, 403, 405, 413]],
  ['get', '/media/avatars/{number}/{filename}', 'usersGetAvatar', [200, 304, 404]],
];

describe('the users operations in /openapi.json', () => {
  it('are exactly the served ones: no HEAD, no OPTIONS, no slash-less spelling', () => {
    const ours = Object.entries(paths).filter(([path]) => path === '/' || /^\/(users|media|get-csrf-token)\b/.test(path));
    const documented = ours.flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual(OPERATIONS.map(([m, p]) => `${m} ${p}`).sort());
  });

  it.each(OPERATIONS)('%s %s: tag, id, summary, security and every answer of the spec', (method, path, operationId, statuses) => {
    const op = paths[path][method];
    expect(op).toMatchObject({ tags: ['users'], operationId });
    expect(op.summary).toBeTruthy();
    for (const status of statuses) expect(op.responses[status], `${status}`).toBeDefined();
    const needsLogin = path === '/users/logout/' || path === '/users/avatar/';
    expect(op.security).toEqual(path.startsWith('/media/') ? [] : needsLogin ? [{ sessionCookie: [] }] : [{ sessionCookie: [] }, {}]);
  });

  it('describes the bodies, with their limits', () => {
    const register = paths['/users/register/'].post.requestBody.content['application/json'].schema;
    expect(register.required).toEqual(['username', 'password1', 'password2']);
    expect(register.properties.username.maxLength).toBe(150);
    expect(paths['/users/login/'].post.requestBody.content['application/json'].schema.required).toEqual(['username', 'password']);
    expect(Object.keys(paths['/users/avatar/'].post.requestBody.content)).toEqual(['multipart/form-data']);
    expect(paths['/media/avatars/{number}/{filename}'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['number', 'filename']);
  });

  it('documents an empty 405 as an answer without content, listing Allow', () => {
    const r = paths['/users/login/'].post.responses['405'];
    expect(r.content).toBeUndefined();
    expect(r.headers.Allow).toBeDefined();
  });
});
