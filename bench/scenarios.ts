// The bench's named scenarios. Each starts what it needs (a fresh database, one or two real
// `gatehouse serve` processes), measures, stops everything it started and returns its rows.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { sql } from 'kysely';
import { generateSync } from 'otplib';
import { SoftAuthenticator } from './lib/authenticator.js';
import { type BenchDb, openBenchDb } from './lib/db.js';
import { type Load, cannon, closedLoop, cookiesOf, send, summarize } from './lib/load.js';
import { type Instance, type Server, type Target, freePort, startGatehouse, startScript } from './lib/servers.js';
import type { ScenarioResult } from './targets.js';

export interface BenchContext {
  seconds: number;
  connections: number[];
  /** The bare node:http baseline at each connection count, measured once per run. */
  baseline(connections: number): Promise<Load>;
  /** Raw argon2id verification behind node:http at 16 connections, measured once per run. */
  rawArgon2(): Promise<Load>;
  /** Repetitions of the ratio-judged measurements (knox/Bearer GETs, logins), each paired with its yardstick. */
  repeat: number;
  log(line: string): void;
}

export type Scenario = (ctx: BenchContext, target: Target) => Promise<ScenarioResult[]>;

export const PASSWORD = 'Bench,Pass1';
const MOCK = '/v1/user/mock-login/';
const LOGIN_CONNECTIONS = 16;

function row(scenario: string, target: Target | null, label: string, connections: number, l: Load, more: Partial<ScenarioResult> = {}): ScenarioResult {
  const db = target?.kind ?? null;
  const suffix = scenario === 'baseline' || /^(knox|bearer)$/.test(scenario) ? `-${connections}` : '';
  return { id: `${scenario}${suffix}${db ? ':' + db : ''}`, scenario, database: db, label, connections, ...l, ...more };
}

function ratioTo(l: Load, base: Load): number {
  return Math.round((l.rps / Math.max(base.rps, 1e-9)) * 1000) / 1000;
}

async function postJson(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<any> {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`POST ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A registered user with a knox token and a Bearer JWT. */
async function signedUp(base: string, name: string): Promise<{ knox: string; bearer: string; id: string }> {
  const reg = await postJson(base, '/v1/user/register/', { email: `${name}@example.com`, username: name, password: PASSWORD, confirm_password: PASSWORD });
  const knox = (await postJson(base, '/v1/user/login-knox/', { email: `${name}@example.com`, password: PASSWORD })).token as string;
  const bearer = (await postJson(base, '/v1/user/login-jwt/', { email: `${name}@example.com`, password: PASSWORD })).access as string;
  return { knox, bearer, id: reg.id as string };
}

/** Runs `body` against a fresh instance and one Gatehouse; always stops and cleans up. */
async function withGatehouse<T>(target: Target, env: Record<string, string>, body: (gh: Server, inst: Instance) => Promise<T>, port?: number): Promise<T> {
  const inst = await target.fresh();
  let gh: Server | null = null;
  try {
    gh = await startGatehouse(inst, { env, port });
    return await body(gh, inst);
  } finally {
    await gh?.stop();
    await inst.dispose();
  }
}

const warm = (url: string, headers: Record<string, string>) => cannon({ url, headers, connections: 8, duration: 1 });

// ---- baselines ----

export async function measureBaseline(seconds: number, connections: number): Promise<Load> {
  const s = await startScript('bench/baseline-server.ts');
  try {
    await cannon({ url: s.url, connections, duration: 1 });
    return await cannon({ url: s.url, connections, duration: seconds });
  } finally {
    await s.stop();
  }
}

export async function measureRawArgon2(seconds: number): Promise<Load> {
  const s = await startScript('bench/argon2-server.ts');
  try {
    return await cannon({ url: s.url, method: 'POST', body: '{}', connections: LOGIN_CONNECTIONS, duration: seconds });
  } finally {
    await s.stop();
  }
}

// ---- knox and Bearer GETs ----

/** `knox` and `bearer` share one server: GET mock-login/ at each connection count. */
export function authGets(which: { knox: boolean; bearer: boolean }): Scenario {
  return (ctx, target) =>
    withGatehouse(target, {}, async (gh) => {
      const { knox, bearer } = await signedUp(gh.url, 'bench');
      const out: ScenarioResult[] = [];
      const url = gh.url + MOCK;
      const schemes = [
        ...(which.knox ? [{ scenario: 'knox', headers: { authorization: `Token ${knox}` }, label: 'GET mock-login/ with a knox token' }] : []),
        ...(which.bearer ? [{ scenario: 'bearer', headers: { authorization: `Bearer ${bearer}` }, label: 'GET mock-login/ with a v1 Bearer JWT' }] : []),
      ];
      for (const s of schemes) await warm(url, s.headers);
      for (const connections of ctx.connections) {
        // Each repetition measures the yardstick again right before the scenarios, so each
        // ratio compares two measurements seconds apart; the row is the median repetition.
        const reps: Array<{ base: Load; runs: Load[] }> = [];
        for (let k = 0; k < ctx.repeat; k++) {
          const base = k === 0 ? await ctx.baseline(connections) : await measureBaseline(ctx.seconds, connections);
          const runs: Load[] = [];
          for (const s of schemes) {
            const l = await cannon({ url, headers: s.headers, connections, duration: ctx.seconds, expectStatus: 200 });
            ctx.log(`${target.label} ${s.scenario} @${connections}${ctx.repeat > 1 ? ` (${k + 1}/${ctx.repeat})` : ''}: ${Math.round(l.rps)} req/s, p99 ${l.p99} ms, ${ratioTo(l, base)}x of ${Math.round(base.rps)}`);
            runs.push(l);
          }
          reps.push({ base, runs });
        }
        schemes.forEach((s, i) => {
          const paired = reps.map((r) => ({ l: r.runs[i], base: r.base, ratio: ratioTo(r.runs[i], r.base) }));
          const chosen = medianBy(paired, (p) => p.ratio);
          const more: Partial<ScenarioResult> = { ratio: chosen.ratio, ratioOf: `baseline at ${connections} connections` };
          if (paired.length > 1) more.extra = { ratios: paired.map((p) => p.ratio.toFixed(2)).join(', '), baselineRps: Math.round(chosen.base.rps) };
          out.push(row(s.scenario, target, s.label, connections, { ...chosen.l, errors: paired.reduce((n, p) => n + p.l.errors, 0) }, more));
        });
      }
      return out;
    });
}

/** The middle element by `key` (the lower middle for an even count). */
function medianBy<T>(items: T[], key: (t: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

// ---- logins ----

/**
 * POST login-knox/ at 16 connections alone, as a ratio to raw argon2id under the same load; then
 * a second storm with Bearer GETs (4 connections) beside it, for their p99.
 */
export const logins: Scenario = async (ctx, target) => {
  return withGatehouse(target, {}, async (gh) => {
    const { bearer } = await signedUp(gh.url, 'bench');
    const body = JSON.stringify({ email: 'bench@example.com', password: PASSWORD });
    const storm = (duration: number) => cannon({ url: gh.url + '/v1/user/login-knox/', method: 'POST', body, headers: { 'content-type': 'application/json' }, connections: LOGIN_CONNECTIONS, duration, expectStatus: 200 });
    await storm(1);
    // As for the GETs: the yardstick again before each repetition, the median pair reported.
    const paired: Array<{ l: Load; raw: Load; ratio: number }> = [];
    for (let k = 0; k < ctx.repeat; k++) {
      const raw = k === 0 ? await ctx.rawArgon2() : await measureRawArgon2(ctx.seconds);
      const l = await storm(ctx.seconds);
      paired.push({ l, raw, ratio: ratioTo(l, raw) });
      ctx.log(`${target.label} login-knox${ctx.repeat > 1 ? ` (${k + 1}/${ctx.repeat})` : ''}: ${l.rps.toFixed(1)}/s, ${ratioTo(l, raw)}x of raw argon2id ${raw.rps.toFixed(1)}/s`);
    }
    const alone = medianBy(paired, (p) => p.ratio);
    const [besides, during] = await Promise.all([
      storm(ctx.seconds),
      cannon({ url: gh.url + MOCK, headers: { authorization: `Bearer ${bearer}` }, connections: 4, duration: ctx.seconds, expectStatus: 200 }),
    ]);
    ctx.log(`${target.label} login-knox: ${alone.l.rps.toFixed(1)}/s (${alone.ratio}x raw argon2id); with GETs beside it ${besides.rps.toFixed(1)}/s, GET p99 ${during.p99} ms`);
    const more: Partial<ScenarioResult> = { ratio: alone.ratio, ratioOf: 'raw argon2id behind node:http' };
    if (paired.length > 1) more.extra = { ratios: paired.map((p) => p.ratio.toFixed(2)).join(', '), argon2Rps: Math.round(alone.raw.rps * 10) / 10 };
    return [
      row('login', target, 'POST login-knox/ (argon2id m=19 MiB, t=2, p=1)', LOGIN_CONNECTIONS, { ...alone.l, errors: paired.reduce((n, p) => n + p.l.errors, 0) }, more),
      row('login-storm-get', target, 'Bearer GET during a login storm', 4, during, { extra: { loginsPerSecond: Math.round(besides.rps * 10) / 10 } }),
    ];
  });
};

// ---- token/refresh/ rotation ----

/** Each worker holds its own login (sessionid cookie) and rotates its refresh, each request using the last answer's. */
export const refresh: Scenario = async (ctx, target) => {
  const connections = 16;
  return withGatehouse(target, {}, async (gh) => {
    await signedUp(gh.url, 'bench');
    const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
    const sessions: string[] = [];
    for (let w = 0; w < connections; w++) {
      const a = await send(agent, gh.url, 'POST', '/v1/user/login-jwt/', { body: JSON.stringify({ email: 'bench@example.com', password: PASSWORD }) });
      const sid = cookiesOf(a).sessionid;
      if (a.status !== 200 || !sid) throw new Error(`login-jwt: ${a.status} ${a.body}`);
      sessions.push(sid);
    }
    const op = async (w: number) => {
      const a = await send(agent, gh.url, 'POST', '/v1/user/token/refresh/', { headers: { cookie: `sessionid=${sessions[w]}` } });
      const sid = cookiesOf(a).sessionid;
      if (sid) sessions[w] = sid;
      return a.status === 200 && JSON.parse(a.body).access !== undefined;
    };
    await closedLoop({ concurrency: connections, seconds: 1, op });
    const l = await closedLoop({ concurrency: connections, seconds: ctx.seconds, op });
    agent.destroy();
    const base = await ctx.baseline(connections);
    ctx.log(`${target.label} refresh: ${Math.round(l.rps)}/s, p99 ${l.p99} ms`);
    return [row('refresh', target, 'POST token/refresh/ (rotation, each with the refresh it got)', connections, l, { ratio: ratioTo(l, base), ratioOf: 'baseline at 16 connections' })];
  });
};

// ---- login/mfa/ ----

/**
 * One TOTP user enrolled through the API; its sealed secret is copied to a pool of seeded users,
 * each with an `mfa_token` (the first step's row, as a password login would have left it). Each
 * request completes one user's challenge with the current TOTP code.
 */
export const mfa: Scenario = async (ctx, target) => {
  const connections = 16;
  const pool = Math.min(40_000, 2_500 * ctx.seconds + 2_500);
  return withGatehouse(target, {}, async (gh, inst) => {
    const { knox } = await signedUp(gh.url, 'mfa0');
    const auth = { authorization: `Token ${knox}` };
    const start = await postJson(gh.url, '/v1/user/mfa/totp/', { password: PASSWORD }, auth);
    const secret = start.secret as string;
    await postJson(gh.url, '/v1/user/mfa/totp/confirm/', { code: generateSync({ secret }) }, auth);
    const db = await openBenchDb(inst);
    const tokens: string[] = [];
    try {
      const [enrolled] = await db.query<{ number: number; password: string }>("select number, password from users where username = 'mfa0'");
      const [totp] = await db.query<{ secret: string; enabled_at: number }>('select secret, enabled_at from mfa_totp where user_number = ?', [enrolled.number]);
      const now = Date.now() * 1000;
      await seedUsers(db, pool, 'mfa', enrolled.password, now);
      const numbers = await db.query<{ number: number }>("select number from users where username like 'mfa-%' order by number");
      await db.insert('mfa_totp', numbers.map((u) => ({ user_number: u.number, secret: totp.secret, enabled_at: totp.enabled_at, last_step: null, pending_secret: null, pending_expires: null, updated: now })));
      const challenges = numbers.map((u) => {
        const token = randomBytes(32).toString('base64url');
        tokens.push(token);
        return { digest: createHash('sha256').update(token).digest('hex'), user_number: u.number, kind: 'knox', context: null, created: now, expires: now + 5 * 60e6, wrong_codes: 0, used_at: null };
      });
      await db.insert('mfa_challenges', challenges);
    } finally {
      await db.close();
    }
    const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
    let next = 0;
    let codeStep = -1;
    let code = '';
    const op = async () => {
      const token = tokens[next++];
      if (token === undefined) return false;
      const step = Math.floor(Date.now() / 30_000);
      if (step !== codeStep) {
        code = generateSync({ secret });
        codeStep = step;
      }
      const a = await send(agent, gh.url, 'POST', '/v1/user/login/mfa/', { body: JSON.stringify({ mfa_token: token, code }) });
      return a.status === 200 && typeof JSON.parse(a.body).token === 'string';
    };
    const l = await closedLoop({ concurrency: connections, seconds: ctx.seconds, maxOps: tokens.length, op });
    agent.destroy();
    const base = await ctx.baseline(connections);
    ctx.log(`${target.label} login/mfa/: ${Math.round(l.rps)}/s, p99 ${l.p99} ms (${l.requests} of ${tokens.length} challenges)`);
    return [row('mfa', target, 'POST login/mfa/ (TOTP code completing a knox login)', connections, l, { ratio: ratioTo(l, base), ratioOf: 'baseline at 16 connections', extra: { challenges: tokens.length } })];
  });
};

/** `count` users named `<prefix>-<i>` with the same password hash, in one multi-row insert per chunk. */
async function seedUsers(db: BenchDb, count: number, prefix: string, passwordHash: string, now: number): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => {
    const name = `${prefix}-${i}`;
    return {
      id: randomUUID(), email: `${name}@example.com`, email_ci: `${name}@example.com`, username: name, username_ci: name, password: passwordHash,
      full_name: '', email_verified: 1, is_active: 1, is_staff: 0, is_superuser: 0, created: now + i, updated: now + i, failed_logins: 0,
    };
  });
  await db.insert('users', rows);
}

// ---- passkey login ----

/** A passkey registered through the API (a `none` attestation); each login is options + assertion. */
export const passkey: Scenario = async (ctx, target) => {
  const connections = 16;
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const env = { WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: origin };
  return withGatehouse(target, env, async (gh) => {
    const { knox } = await signedUp(gh.url, 'passkey');
    const auth = { authorization: `Token ${knox}` };
    const device = new SoftAuthenticator('localhost', origin);
    const options = await postJson(gh.url, '/v1/user/passkeys/register/options/', {}, auth);
    await postJson(gh.url, '/v1/user/passkeys/register/', { credential: device.create(options), name: 'bench' }, auth);
    const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
    const op = async () => {
      const o = await send(agent, gh.url, 'POST', '/v1/user/login-passkey/options/');
      if (o.status !== 200) return false;
      const { challenge_id, options: request } = JSON.parse(o.body);
      const a = await send(agent, gh.url, 'POST', '/v1/user/login-passkey/', { body: JSON.stringify({ challenge_id, credential: device.get(request) }) });
      return a.status === 200 && typeof JSON.parse(a.body).token === 'string';
    };
    await closedLoop({ concurrency: connections, seconds: 1, op });
    const l = await closedLoop({ concurrency: connections, seconds: ctx.seconds, op });
    agent.destroy();
    const base = await ctx.baseline(connections);
    ctx.log(`${target.label} passkey login: ${Math.round(l.rps)}/s, p99 ${l.p99} ms`);
    return [row('passkey', target, 'Passkey login (options + ES256 assertion), per login', connections, l, { ratio: ratioTo(l, base), ratioOf: 'baseline at 16 connections' })];
  }, port);
};

// ---- OIDC code exchange ----

/**
 * A real OpenID provider (test/helpers/oidc-idp.ts) signs the user in; each full sign-in
 * (start, provider, callback) yields a one-time login code, and what is measured is the step the
 * app performs: POST oauth/exchange/ for a knox token. Codes live 60 s, so they are made and
 * spent in rounds; only the exchanges are timed.
 */
export const oidc: Scenario = async (ctx, target) => {
  const connections = 16;
  const { startIdp, providerEnv } = await import('../test/helpers/oidc-idp.js');
  const idp = await startIdp();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const callback = `${base}/v1/user/oauth/bench/callback/`;
  idp.addClient({ client_id: 'gatehouse-bench', client_secret: 'bench-client-secret', redirect_uris: [callback] });
  idp.addAccount({ sub: 'bench-user', email: 'oidc@example.com', email_verified: true, name: 'Bench' });
  const env = { ...providerEnv('bench', { issuer: idp.issuer, clientId: 'gatehouse-bench', clientSecret: 'bench-client-secret' }), OIDC_PROVIDERS: 'bench', OIDC_ALLOW_HTTP: 'true', PUBLIC_URL: base };
  try {
    return await withGatehouse(target, env, async (gh) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
      const signIn = async (): Promise<string> => {
        const s = await send(agent, gh.url, 'GET', '/v1/user/oauth/bench/start/?next=/signed-in&kind=knox');
        const cookie = cookiesOf(s).gh_oauth;
        if (s.status !== 302 || !cookie) throw new Error(`oauth start: ${s.status} ${s.body}`);
        const back = await idp.authorize(String(s.headers.location), { login: 'bench-user' }, callback);
        const c = await send(agent, gh.url, 'GET', back.pathname + back.search, { headers: { cookie: `gh_oauth=${cookie}` } });
        const code = new URL(String(c.headers.location), base).searchParams.get('login_code');
        if (c.status !== 302 || !code) throw new Error(`oauth callback: ${c.status} ${c.headers.location}`);
        return code;
      };
      const latencies: number[] = [];
      let errors = 0;
      let spent = 0;
      const round = Number(process.env.BENCH_OIDC_CODES ?? 500);
      for (let r = 0; r < 3 && spent < ctx.seconds; r++) {
        const codes: string[] = [];
        const makers = Array.from({ length: 8 }, async () => {
          while (codes.length < round) codes.push(await signIn());
        });
        await Promise.all(makers);
        let i = 0;
        const t0 = performance.now();
        const l = await closedLoop({
          concurrency: connections,
          seconds: 50,
          maxOps: codes.length,
          op: async () => {
            const code = codes[i++];
            const t = performance.now();
            const a = await send(agent, gh.url, 'POST', '/v1/user/oauth/exchange/', { body: JSON.stringify({ login_code: code }) });
            latencies.push(performance.now() - t);
            return a.status === 200 && typeof JSON.parse(a.body).token === 'string';
          },
        });
        spent += (performance.now() - t0) / 1000;
        errors += l.errors;
      }
      agent.destroy();
      const l = summarize(latencies, errors, spent);
      const baseLoad = await ctx.baseline(connections);
      ctx.log(`${target.label} OIDC exchange: ${Math.round(l.rps)}/s, p99 ${l.p99} ms (${l.requests} codes)`);
      return [row('oidc', target, 'POST oauth/exchange/ (OIDC login code for a knox token)', connections, l, { ratio: ratioTo(l, baseLoad), ratioOf: 'baseline at 16 connections' })];
    }, port);
  } finally {
    await idp.close();
  }
};

// ---- a profile list of 50 ----

export const profiles: Scenario = async (ctx, target) => {
  const connections = 16;
  return withGatehouse(target, {}, async (gh, inst) => {
    const { knox } = await signedUp(gh.url, 'bench');
    const db = await openBenchDb(inst);
    try {
      const [u] = await db.query<{ password: string }>("select password from users where username = 'bench'");
      const now = Date.now() * 1000;
      await seedUsers(db, 60, 'artist', u.password, now);
      const numbers = await db.query<{ number: number }>("select number from users where username like 'artist-%' order by number");
      await db.insert('profiles', numbers.map((n, i) => ({ id: randomUUID(), kind: 'artist', user_number: n.number, bio: `Bench artist number ${i}, painting since ${1990 + (i % 30)}.`, instagram: `https://instagram.com/artist${i}`, created: now + i, updated: now + i })));
    } finally {
      await db.close();
    }
    const url = gh.url + '/v1/user/profile/artist/?limit=50';
    const headers = { authorization: `Token ${knox}` };
    const check = await fetch(url, { headers });
    const listed = (await check.json()) as unknown[];
    if (check.status !== 200 || listed.length !== 50) throw new Error(`profile list: ${check.status}, ${listed.length} items`);
    await warm(url, headers);
    const l = await cannon({ url, headers, connections, duration: ctx.seconds, expectStatus: 200 });
    const base = await ctx.baseline(connections);
    ctx.log(`${target.label} profile list: ${Math.round(l.rps)}/s, p99 ${l.p99} ms`);
    return [row('profiles', target, 'GET profile/artist/?limit=50 (knox)', connections, l, { ratio: ratioTo(l, base), ratioOf: 'baseline at 16 connections' })];
  });
};

// ---- webhook deliveries ----

/**
 * Endpoints registered through the admin API on one local receiver (node:http answering 200),
 * a backlog of events written to the outbox (as core actions write them), then deliveries per
 * second counted at the receiver while Bearer GETs run, against the p99 of the same GETs with
 * nothing flowing: at full load (judged), then at half the rate the GETs reached alone (shown).
 * One delivery per endpoint is in flight at a time (events.md), so several endpoints share the
 * receiver.
 */
export const webhooks: Scenario = async (ctx, target) => {
  const connections = 16;
  const endpoints = Number(process.env.BENCH_WEBHOOK_ENDPOINTS ?? 16);
  const receiver = await startScript('bench/webhook-receiver.ts');
  const env = { SURFACES: 'v1,admin', WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE: 'true' };
  try {
    return await withGatehouse(target, env, async (gh, inst) => {
      const { bearer, id } = await signedUp(gh.url, 'bench');
      const db = await openBenchDb(inst);
      try {
        await db.query('update users set is_staff = 1, is_superuser = 1 where id = ?', [id]);
      } finally {
        await db.close();
      }
      const knox = (await postJson(gh.url, '/v1/user/login-knox/', { email: 'bench@example.com', password: PASSWORD })).token as string;
      for (let i = 0; i < endpoints; i++) {
        await postJson(gh.url, '/admin/api/webhooks/', { url: `${receiver.url}/hook/${i}`, events: ['*'] }, { authorization: `Token ${knox}` });
      }
      const url = gh.url + MOCK;
      const headers = { authorization: `Bearer ${bearer}` };
      await warm(url, headers);
      const quiet = await cannon({ url, headers, connections, duration: ctx.seconds, expectStatus: 200 });
      // Also at half the rate the GETs reached alone: a service that is not at its limit.
      const halfRate = Math.round(quiet.rps / 2);
      const quietHalf = await cannon({ url, headers, connections, duration: ctx.seconds, overallRate: halfRate, expectStatus: 200 });
      const perEndpoint = Math.ceil((4_000 * (2 * ctx.seconds + 2)) / endpoints);
      await recordEvents(inst, id, perEndpoint);
      const count = async () => Number(await (await fetch(receiver.url + '/count')).text());
      // The worker polls every half second: wait for deliveries to flow before counting.
      const c00 = await count();
      for (let i = 0; i < 50 && (await count()) === c00; i++) await new Promise((r) => setTimeout(r, 100));
      const c0 = await count();
      const t0 = performance.now();
      const busy = await cannon({ url, headers, connections, duration: ctx.seconds, expectStatus: 200 });
      const c1 = await count();
      const elapsed = (performance.now() - t0) / 1000;
      const busyHalf = await cannon({ url, headers, connections, duration: ctx.seconds, overallRate: halfRate, expectStatus: 200 });
      const c2 = await count();
      const delivered = c1 - c0;
      const total = perEndpoint * endpoints;
      const drained = c2 >= total;
      const rate = delivered / elapsed;
      const ratio = Math.round((busy.p99 / Math.max(quiet.p99, 0.001)) * 100) / 100;
      const halfRatio = Math.round((busyHalf.p99 / Math.max(quietHalf.p99, 0.001)) * 100) / 100;
      ctx.log(`${target.label} webhooks: ${Math.round(rate)} deliveries/s over ${endpoints} endpoints${drained ? ' (backlog drained: a lower bound)' : ''}; GET p99 ${quiet.p99} -> ${busy.p99} ms; at ${halfRate} req/s ${quietHalf.p99} -> ${busyHalf.p99} ms`);
      return [row('webhooks', target, `Webhook deliveries/s to a local receiver (${endpoints} endpoints), Bearer GET p99 with vs without`, connections,
        { rps: rate, p50: busy.p50, p99: busy.p99, errors: busy.errors, requests: delivered },
        { ratio, ratioOf: 'GET p99 with deliveries / without', extra: { endpoints, getP99Without: quiet.p99, getP99With: busy.p99, getRpsWithout: Math.round(quiet.rps), getRpsWith: Math.round(busy.rps), backlogDrained: drained ? 'yes' : 'no',
          halfRate, halfP99Without: quietHalf.p99, halfP99With: busyHalf.p99, halfRatio, halfErrors: quietHalf.errors + busyHalf.errors } })];
    });
  } finally {
    await receiver.stop();
  }
};

/** `perEndpoint` user.updated events through the outbox (its own rows: events, one delivery per endpoint). */
async function recordEvents(inst: Instance, userId: string, count: number): Promise<void> {
  const { openStore } = await import('../src/store/db.js');
  const { Outbox } = await import('../src/core/events/outbox.js');
  const store = openStore(inst.databaseUrl);
  try {
    const user = await store.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
    const outbox = new Outbox({ dialect: store.dialect, amqp: { enabled: false, legacyQueue: false } });
    const events = Array.from({ length: count }, () => ({ type: 'user.updated' as const, user, changed: ['full_name'] }));
    // One transaction, so the worker sees the whole backlog at once; SQLite may refuse to turn
    // its read into a write if the server wrote meanwhile (SQLITE_BUSY_SNAPSHOT): try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await store.db.transaction().execute((trx) => outbox.recordMany(trx, events));
        break;
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    // PostgreSQL plans from statistics that autovacuum refreshes within a minute or so of a bulk
    // write; the measurement should not fall in that minute (without them a claim took 15-35 ms
    // instead of 1-5 ms here). SQLite has no statistics and its claim needs none.
    if (store.dialect === 'postgres') await sql`analyze webhook_deliveries, events`.execute(store.db);
  } finally {
    await store.close();
  }
}

// ---- growth ----

const GROWTH_SAMPLE = 10_000;

/** Deterministic token bytes for seeded user `i` (the database computes the same on PostgreSQL). */
function seededToken(i: number): Buffer {
  return createHash('sha256').update(`bench-token-${i}`).digest();
}

/** knox GET p99 with 10,000 vs 1,000,000 users, each with a token; 10,000 of them rotate. */
export const growth: Scenario = async (ctx, target) => {
  const connections = 16;
  const sizes = (process.env.BENCH_GROWTH_SIZES ?? '10000,1000000').split(',').map(Number);
  const results: Load[] = [];
  for (const users of sizes) {
    const inst = await target.fresh();
    try {
      let gh = await startGatehouse(inst); // creates and migrates the database
      await gh.stop();
      const t = performance.now();
      await seedGrowth(inst, users);
      ctx.log(`${target.label} seeded ${users} users and tokens in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      gh = await startGatehouse(inst);
      try {
        const step = Math.max(1, Math.floor(users / GROWTH_SAMPLE));
        const sample = Array.from({ length: Math.min(GROWTH_SAMPLE, users) }, (_, k) => `Token ${seededToken(k * step).toString('hex')}`);
        const check = await fetch(gh.url + MOCK, { headers: { authorization: sample[sample.length - 1] } });
        if (check.status !== 200) throw new Error(`seeded token refused: ${check.status} ${await check.text()}`);
        let i = 0;
        const l = await cannon({
          url: gh.url + MOCK,
          connections,
          duration: ctx.seconds,
          expectStatus: 200,
          requests: [{ setupRequest: (req: any) => ({ ...req, headers: { ...req.headers, authorization: sample[i++ % sample.length] } }) }],
        });
        ctx.log(`${target.label} growth ${users}: ${Math.round(l.rps)} req/s, p99 ${l.p99} ms`);
        results.push(l);
      } finally {
        await gh.stop();
      }
    } finally {
      await inst.dispose();
    }
  }
  const small = results[0];
  return results.map((l, k) => {
    const users = sizes[k];
    const label = `knox GET, ${users.toLocaleString('en-US')} users with tokens (${Math.min(GROWTH_SAMPLE, users).toLocaleString('en-US')} rotating)`;
    const id = k === 0 ? 'growth-10k' : users === 1_000_000 ? 'growth-1m' : `growth-${users}`;
    return row(id, target, label, connections, l, k === 0 ? { ratioOf: 'p99 reference' } : { ratio: Math.round((l.p99 / Math.max(small.p99, 0.001)) * 100) / 100, ratioOf: `p99 vs ${sizes[0].toLocaleString('en-US')} users` });
  });
};

/** `count` users, each with one knox token whose raw bytes are seededToken(i); no sliding write during the run. */
async function seedGrowth(inst: Instance, count: number): Promise<void> {
  const db = await openBenchDb(inst);
  try {
    const hash = await argonHash();
    const now = Date.now() * 1000;
    // Expiry beyond the 10 h slide plus the slack: no token's expiry is rewritten while measuring.
    const expires = now + 11 * 3600e6;
    if (db.sqlite) {
      const s = db.sqlite;
      const insertUser = s.prepare(`insert into users (id, email, email_ci, username, username_ci, password, full_name, email_verified, is_active, is_staff, is_superuser, created, updated, failed_logins)
        values (?, ?, ?, ?, ?, ?, '', 1, 1, 0, 0, ?, ?, 0)`);
      const insertToken = s.prepare('insert into knox_tokens (id, digest, user_number, created, expires, last_used, ip, user_agent) values (?, ?, ?, ?, ?, null, null, null)');
      const batch = s.transaction((from: number, to: number) => {
        for (let i = from; i < to; i++) {
          const name = `user${i}`;
          const info = insertUser.run(randomUUID(), `${name}@example.com`, `${name}@example.com`, name, name, hash, now + i, now + i);
          insertToken.run(randomUUID(), createHash('sha512').update(seededToken(i)).digest('hex'), info.lastInsertRowid, now, expires);
        }
      });
      for (let i = 0; i < count; i += 50_000) batch(i, Math.min(count, i + 50_000));
      s.exec('analyze');
    } else {
      for (let from = 0; from < count; from += 250_000) {
        const to = Math.min(count, from + 250_000) - 1;
        await db.query(
          `insert into users (id, email, email_ci, username, username_ci, password, full_name, email_verified, is_active, is_staff, is_superuser, created, updated, failed_logins)
           select gen_random_uuid()::text, 'user' || g || '@example.com', 'user' || g || '@example.com', 'user' || g, 'user' || g, ?, '', 1, 1, 0, 0, ?::bigint + g, ?::bigint + g, 0
           from generate_series(?::int, ?::int) g`,
          [hash, now, now, from, to],
        );
        await db.query(
          `insert into knox_tokens (id, digest, user_number, created, expires, last_used, ip, user_agent)
           select gen_random_uuid()::text, encode(sha512(sha256(convert_to('bench-token-' || g, 'UTF8'))), 'hex'), u.number, ?::bigint, ?::bigint, null, null, null
           from generate_series(?::int, ?::int) g join users u on u.username_ci = 'user' || g`,
          [now, expires, from, to],
        );
      }
      await db.query('analyze');
    }
  } finally {
    await db.close();
  }
}

async function argonHash(): Promise<string> {
  const { hash } = await import('@node-rs/argon2');
  return hash(PASSWORD, { memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: 2 });
}

