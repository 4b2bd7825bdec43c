// The service skeleton over real HTTP: operations endpoints, hygiene, body limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './helpers/app.js';
import { request } from './helpers/http.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t?.close();
});

describe('operations', () => {
  it('GET /healthz answers 200', async () => {
    const r = await request(t.url, 'GET', '/healthz');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'ok' });
  });

  it('GET /readyz checks the database and the shared store', async () => {
    const r = await request(t.url, 'GET', '/readyz');
    expect(r.status).toBe(200);
    expect(r.json.status).toBe('ok');
    expect(r.json.checks.database).toBe('ok');
  });

  it('GET /metrics is Prometheus text with request counts by route and status', async () => {
    await request(t.url, 'GET', '/healthz');
    const r = await request(t.url, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    expect(r.text).toMatch(/gatehouse_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(r.text).toContain('gatehouse_http_request_duration_seconds_bucket');
    expect(r.text).toContain('gatehouse_logins_total');
    expect(r.text).toContain('gatehouse_lockouts_total');
    expect(r.text).toContain('gatehouse_tokens_issued_total');
    expect(r.text).toContain('gatehouse_tokens_revoked_total');
  });

  it('GET /openapi.json is an OpenAPI 3.1 document', async () => {
    const r = await request(t.url, 'GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.json.openapi).toBe('3.1.0');
    expect(r.json.paths['/healthz']).toBeDefined();
  });

  it('GET /docs serves the documentation UI', async () => {
    const r = await request(t.url, 'GET', '/docs/');
    expect([200, 302]).toContain(r.status);
  });
});

describe('hygiene (v1.md §0.1, §0.13)', () => {
  it('an unknown path answers JSON 404 {"detail":"Not found."} with nosniff', async () => {
    const r = await request(t.url, 'GET', '/no/such/path');
    expect(r.status).toBe(404);
    expect(r.text).toBe('{"detail":"Not found."}');
    expect(r.headers.get('content-type')).toContain('application/json');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('unknown methods and odd paths never answer HTML or 500', async () => {
    for (const [method, path] of [['DELETE', '/'], ['POST', '/healthz'], ['GET', '/%E0%A4%A'], ['PATCH', '/x/../../etc/passwd']] as const) {
      const r = await request(t.url, method, path);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.headers.get('content-type') ?? '').not.toContain('html');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});
