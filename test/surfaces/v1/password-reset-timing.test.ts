// v1.md §5.4: a reset request answers in the same time whether or not an account has the
// address. Measured against a server in its own process (child-server.ts), because on a shared
// event loop the work queued behind a known address's answer would be charged to the client.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';
import { type ChildServer, startChildServer } from './child-server.js';
import { V1, registerUser, request } from './helpers.js';

const SENT = 'If an account with that email exists, a password reset link has been sent.';
let smtp: TestSmtpServer;
let server: ChildServer;

beforeAll(async () => {
  smtp = await startSmtpServer();
  server = await startChildServer({ SURFACES: 'v1', SMTP_URL: smtp.url, PUBLIC_URL: 'http://gatehouse.test' });
});
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

// Known and unknown requests alternate (KU UK KU …) with a short pause after each, so neither
// kind pays for the other's queued work. The machine is shared, so a round spoiled by outside
// load may be repeated; a real difference (waiting for the token, the mail or the audit before
// answering) shows in every round.
it('known and unknown addresses: medians of 50 answers each differ by less than 20%', async () => {
  const user = await registerUser(server.url, 'timing');
  let n = 0;
  const timed = async (known: boolean) => {
    const email = known ? user.email : `ghost-${n++}@example.com`;
    const start = process.hrtime.bigint();
    const r = await request(server.url, 'POST', V1 + 'password/reset/', { json: { email } });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    expect(r.json).toBe(SENT);
    await new Promise((resolve) => setTimeout(resolve, 20));
    return ms;
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (let i = 0; i < 10; i++) await timed(i % 2 === 0);
  await smtp.waitFor((m) => m.to.includes(user.email));
  const rounds: string[] = [];
  for (let round = 0; round < 3; round++) {
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 50; i++) {
      for (const k of i % 2 === 0 ? [true, false] : [false, true]) (k ? known : unknown).push(await timed(k));
    }
    const [k, u] = [median(known), median(unknown)];
    rounds.push(`known ${k.toFixed(2)} ms, unknown ${u.toFixed(2)} ms`);
    if (Math.abs(k - u) / Math.min(k, u) < 0.2) return;
  }
  expect.fail(`medians differ by 20% or more in every round: ${rounds.join('; ')}`);
});
