// sessions/ and sessions/<id>/ (v1.md §5.8).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1, Client, type TestApp, type TestUser, bearerHeader, expectJson, jwtLogin, knoxLogin, registerUser, request, startV1, tokenHeader } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startV1();
});
afterAll(async () => {
  await t?.close();
});

const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const list = (headers: Record<string, string>) => request(t.url, 'GET', V1 + 'sessions/', { headers });
const end = (headers: Record<string, string>, id: string) => request(t.url, 'DELETE', `${V1}sessions/${id}/`, { headers });

async function threeSessions(): Promise<{ user: TestUser; knox: string; access: string; older: string; client: Client }> {
  const user = await registerUser(t.url, 'sess');
  const older = await knoxLogin(t.url, user);
  const client = new Client(t.url, { 'user-agent': 'TestBrowser/1.0' });
  const { access } = await jwtLogin(client, user);
  const r = await request(t.url, 'POST', V1 + 'login-knox/', { headers: { 'user-agent': 'Knox-Agent/2' }, json: { email: user.email, password: user.password } });
  return { user, knox: r.json.token, access, older, client };
}

describe('GET sessions/', () => {
  it('lists knox tokens and live JWT logins, newest first, marking the one in use', async () => {
    const s = await threeSessions();
    const r = await list(tokenHeader(s.knox));
    expect(r.status).toBe(200);
    expect(r.json.map((e: { kind: string }) => e.kind)).toEqual(['knox', 'jwt', 'knox']);
    for (const e of r.json) {
      expect(Object.keys(e)).toEqual(['id', 'kind', 'created', 'last_used', 'expires', 'ip', 'user_agent', 'current']);
      expect(e.created).toMatch(TS);
      expect(e.expires).toMatch(TS);
      expect(e.ip).toMatch(/127\.0\.0\.1/);
    }
    expect(r.json.map((e: { current: boolean }) => e.current)).toEqual([true, false, false]);
    expect(r.json[0].user_agent).toBe('Knox-Agent/2');
    expect(r.json[1].user_agent).toBe('TestBrowser/1.0');
    expect(Date.parse(r.json[1].expires) - Date.parse(r.json[1].created)).toBeGreaterThan(86_000_000);
    expect(Date.parse(r.json[0].expires) - Date.now()).toBeGreaterThan(9.9 * 3600_000);

    const viaJwt = await list(bearerHeader(s.access));
    expect(viaJwt.json.map((e: { current: boolean }) => e.current)).toEqual([false, true, false]);
  });

  it('a login whose refresh is gone is not listed', async () => {
    const s = await threeSessions();
    await request(t.url, 'POST', V1 + 'logout-jwt/', { headers: bearerHeader(s.access) });
    expect((await list(tokenHeader(s.knox))).json.map((e: { kind: string }) => e.kind)).toEqual(['knox', 'knox']);
  });
});

describe('DELETE sessions/<id>/', () => {
  it('ends a knox token or a JWT login; unknown and other users\' ids are 404; bad ids 400', async () => {
    const s = await threeSessions();
    const other = await threeSessions();
    const [current, jwt, old] = (await list(tokenHeader(s.knox))).json;
    const theirs = (await list(tokenHeader(other.knox))).json[0];

    expectJson(await end(tokenHeader(s.knox), 'not-a-uuid'), 400, 'Badly formed hexadecimal uuid string');
    expectJson(await end(tokenHeader(s.knox), '0b6f4e0e-8e0c-4b43-9d55-3c2b4b1c0a11'), 404, 'Session does not exist.');
    expectJson(await end(tokenHeader(s.knox), theirs.id), 404, 'Session does not exist.');

    const r = await end(tokenHeader(s.knox), old.id.replaceAll('-', '').toUpperCase());
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: tokenHeader(s.older) }), 401, 'Invalid token.');

    expect((await end(tokenHeader(s.knox), jwt.id)).status).toBe(204);
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(s.access) }), 401, 'Invalid token.');
    expectJson(await s.client.post(V1 + 'token/refresh/'), 401, 'Token is blacklisted');

    expect((await end(tokenHeader(s.knox), current.id)).status).toBe(204);
    expectJson(await list(tokenHeader(s.knox)), 401, 'Invalid token.');
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: tokenHeader(other.knox) }), 200, 'Hello world.');

    const audit = await t.ctx.db.selectFrom('audit_log').select('details').where('user_id', '=', s.user.id).where('event', '=', 'sessions.revoke').execute();
    expect(audit.map((a) => JSON.parse(a.details).kind)).toEqual(['knox', 'jwt', 'knox']);
  });
});
