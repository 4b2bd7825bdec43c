// The admin JSON API as the OpenAPI document describes it (admin.md §3): every operation from
// its declaration, with a v1 credential as its security; the HTML pages are not described.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import { startAdminApp } from './support.js';

let t: TestApp;
let paths: Record<string, Record<string, any>>;
beforeAll(async () => {
  t = await startAdminApp();
  paths = (await request(t.url, 'GET', '/openapi.json')).json.paths;
});
afterAll(async () => {
  await t?.close();
});

const adminPaths = () => Object.keys(paths).filter((path) => path.startsWith('/admin'));
const operations = () => adminPaths().flatMap((path) => Object.entries(paths[path]).map(([method, op]) => ({ path, method, op })));

describe('the admin operations in /openapi.json', () => {
  it('are the JSON API only, each path once with its slash, GET/POST/PATCH/DELETE only', () => {
    for (const { path, method } of operations()) {
      expect(path.startsWith('/admin/api/') && path.endsWith('/'), path).toBe(true);
      expect(['get', 'post', 'patch', 'delete']).toContain(method);
    }
    // 12 paths and 18 operations of admin.md §3.3, the two-factor reset of mfa.md §4, and the
    // webhooks of events.md §2 (6 paths, 9 operations).
    expect(adminPaths()).toHaveLength(19);
    expect(operations()).toHaveLength(28);
  });

  it('each has the tag, a unique admin… id, a summary, the v1 credentials and the common answers', () => {
    const ids = new Set<string>();
    for (const { path, method, op } of operations()) {
      expect(op.tags, `${method} ${path}`).toEqual(['admin']);
      expect(op.operationId).toMatch(/^admin[A-Z][A-Za-z]+$/);
      ids.add(op.operationId);
      expect(op.summary).toBeTruthy();
      expect(op.security).toEqual([{ knoxToken: [] }, { v1Bearer: [] }]);
      for (const status of ['401', '403', '405', '429']) expect(op.responses[status], `${method} ${path} ${status}`).toBeDefined();
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect((op.parameters ?? []).filter((p: { in: string }) => p.in === 'path').map((p: { name: string }) => p.name)).toEqual(params);
    }
    expect(ids.size).toBe(operations().length);
  });

  it('describes the bodies and the answers to them', () => {
    const patch = paths['/admin/api/users/{id}/'].patch;
    const fields = patch.requestBody.content['application/json'].schema.properties;
    expect(Object.keys(fields)).toEqual(['full_name', 'email', 'username', 'phone', 'contacts', 'is_active', 'is_staff', 'email_verified', 'is_superuser']);
    expect(fields.phone.anyOf[0].maxLength).toBe(12);
    for (const status of ['200', '400', '404', '413', '415']) expect(patch.responses[status]).toBeDefined();
    const password = paths['/admin/api/users/{id}/password/'].post.requestBody.content['application/json'].schema;
    expect(password).toMatchObject({ required: ['password'], properties: { password: { minLength: 8, maxLength: 128 } } });
    expect(paths['/admin/api/users/'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['q', 'active', 'staff', 'locked', 'verified', 'page', 'page_size']);
    expect(paths['/admin/api/users/{id}/send-reset/'].post.responses['429'].description).toContain('less than a minute ago');
  });
});
