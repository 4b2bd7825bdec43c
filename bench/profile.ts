// CPU profile of the hot path: `gatehouse serve` under `node --cpu-prof` while autocannon sends
// knox or Bearer GETs, or knox logins, then the functions and the packages that took the most
// self time on the main thread (argon2 runs on libuv's threads and is not in it).
//   npm run build && node --import tsx bench/profile.ts knox|bearer|login [sqlite|postgres]
//   (postgres needs BENCH_DATABASE_URL and BENCH_REDIS_URL; BENCH_SECONDS, default 10)
// The .cpuprofile is kept in bench/profiles/ (open it in Chrome DevTools or speedscope).
import fs from 'node:fs';
import path from 'node:path';
import { cannon } from './lib/load.js';
import { ROOT, postgresTarget, sqliteTarget, startGatehouse } from './lib/servers.js';
import { PASSWORD } from './scenarios.js';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

async function postJson(base: string, p: string, body: unknown): Promise<any> {
  const r = await fetch(base + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status >= 300) throw new Error(`${p}: ${r.status} ${await r.text()}`);
  return r.json();
}

function packageOf(url: string): string {
  if (!url) return '(native/gc/idle)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const d = /\/dist\/(.+)$/.exec(url);
  return d ? 'gatehouse:' + d[1] : url;
}

export function summarizeProfile(file: string, top = 25): string {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    const key = `${n.callFrame.functionName || '(anonymous)'} ${packageOf(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + t);
    const p = n.callFrame.url ? packageOf(n.callFrame.url) : n.callFrame.functionName;
    pkg.set(p, (pkg.get(p) ?? 0) + t);
  }
  const pct = (t: number) => ((100 * t) / total).toFixed(1).padStart(5) + '%';
  const lines = ['self time by function:'];
  for (const [k, t] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(t)}  ${k}`);
  lines.push('', 'self time by package or file:');
  for (const [k, t] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(t)}  ${k}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const scheme = process.argv[2] === 'bearer' || process.argv[2] === 'login' ? process.argv[2] : 'knox';
  const db = process.argv[3] === 'postgres' ? 'postgres' : 'sqlite';
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const target = db === 'postgres' ? postgresTarget(process.env.BENCH_DATABASE_URL!, process.env.BENCH_REDIS_URL!) : sqliteTarget();
  const inst = await target.fresh();
  const dir = path.join(ROOT, 'bench/profiles');
  fs.mkdirSync(dir, { recursive: true });
  const name = `${scheme}-${db}-${Date.now()}.cpuprofile`;
  const gh = await startGatehouse(inst, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${inst.dataDir}`, `--cpu-prof-name=${name}`] });
  try {
    await postJson(gh.url, '/v1/user/register/', { email: 'p@example.com', username: 'p', password: PASSWORD, confirm_password: PASSWORD });
    if (scheme === 'login') {
      const body = JSON.stringify({ email: 'p@example.com', password: PASSWORD });
      const l = await cannon({ url: gh.url + '/v1/user/login-knox/', method: 'POST', body, headers: { 'content-type': 'application/json' }, connections: 16, duration: seconds, expectStatus: 200 });
      console.log(`login-knox on ${db}: ${l.rps.toFixed(1)} req/s, p99 ${l.p99} ms, errors ${l.errors}`);
    } else {
      const header = scheme === 'knox'
        ? `Token ${(await postJson(gh.url, '/v1/user/login-knox/', { email: 'p@example.com', password: PASSWORD })).token}`
        : `Bearer ${(await postJson(gh.url, '/v1/user/login-jwt/', { email: 'p@example.com', password: PASSWORD })).access}`;
      const l = await cannon({ url: gh.url + '/v1/user/mock-login/', headers: { authorization: header }, connections: 16, duration: seconds, expectStatus: 200 });
      console.log(`${scheme} on ${db}: ${Math.round(l.rps)} req/s, p99 ${l.p99} ms, errors ${l.errors}`);
    }
  } finally {
    await gh.stop();
  }
  const file = path.join(inst.dataDir, name);
  fs.copyFileSync(file, path.join(dir, name));
  await inst.dispose();
  console.log(summarizeProfile(path.join(dir, name)));
  console.log(`\nprofile: bench/profiles/${name}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
