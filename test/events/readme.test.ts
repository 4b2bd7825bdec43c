// The README's "Events and webhooks" section is true: its receiver example, run as it is printed
// (in a process of its own, with the secret the admin API answered), verifies and logs a real
// delivery once, and refuses a request whose signature does not match.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http.js';
import { freePort } from '../faults/private-redis.js';
import { type TestApp, addEndpoint, startEventsApp, superuser, waitFor } from './support.js';

const README = fs.readFileSync('README.md', 'utf8');
let t: TestApp;
let dir: string;
let child: ChildProcess | null = null;

beforeAll(async () => {
  t = await startEventsApp();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-readme-receiver-'));
  // The example imports `standardwebhooks` as an installed package.
  fs.symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await t?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function section(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(-1);
  const rest = README.slice(start + heading.length + 2);
  const end = rest.search(/^## /m);
  return end === -1 ? rest : rest.slice(0, end);
}

describe('README: Events and webhooks', () => {
  it('the receiver example verifies a real delivery, logs it once, and refuses a forged one', async () => {
    const code = /```js\n([\s\S]*?)```/.exec(section('## Events and webhooks'))![1];
    fs.writeFileSync(path.join(dir, 'receiver.mjs'), code);
    const port = await freePort();
    const root = await superuser(t);
    const ep = await addEndpoint(t, root, { url: `http://127.0.0.1:${port}/hook`, events: ['user.created'] });

    let out = '';
    child = spawn(process.execPath, ['receiver.mjs'], { cwd: dir, env: { PATH: process.env.PATH ?? '', GATEHOUSE_WEBHOOK_SECRET: ep.secret, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor(async () => {
      try {
        return (await request(`http://127.0.0.1:${port}`, 'POST', '/hook', { body: '{}' })).status === 400;
      } catch {
        return false;
      }
    }, 10_000, 'the example receiver to listen');

    const r = await request(t.url, 'POST', '/v1/user/register/', { json: { email: 'readme@example.com', username: 'readme', password: 'Admin,123', confirm_password: 'Admin,123' } });
    expect(r.status).toBe(201);
    await waitFor(() => out.includes('\n') && out, 10_000, 'the logged event');
    expect(out).toBe(`user.created ${r.json.id}\n`);
    // Gatehouse counted it as delivered: the example answered 204.
    const deliveries = await waitFor(async () => {
      const page = (await request(t.url, 'GET', `/admin/api/webhooks/${ep.id}/deliveries/?status=succeeded`, { headers: { authorization: root } })).json;
      return page.count === 1 ? page.results : null;
    }, 10_000, 'the settled delivery');
    expect(deliveries![0]).toMatchObject({ last_status_code: 204 });

    // The same body with a made-up signature is refused.
    const forged = await request(`http://127.0.0.1:${port}`, 'POST', '/hook', {
      body: JSON.stringify({ type: 'user.deleted', timestamp: new Date().toISOString(), data: { user: { id: r.json.id } } }),
      headers: { 'content-type': 'application/json', 'webhook-id': 'evt_01J0000000000000000000000', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}` },
    });
    expect(forged.status).toBe(400);
    expect(out).toBe(`user.created ${r.json.id}\n`);
  });
});
