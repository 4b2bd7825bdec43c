// Image decoding is bounded (IMAGE_DECODE_CONCURRENCY, default the number of CPUs): 32 parallel
// uploads of 40-megapixel images keep the process under 600 MiB, where each decode alone holds
// over 100 MiB. Measured as the peak RSS of a server in its own process: a memory bound, not a
// timing.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Semaphore } from '../../src/core/media.js';
import { request } from '../helpers/http.js';
import { V1, knoxLogin, registerUser, tokenHeader } from '../surfaces/v1/helpers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

describe('Semaphore', () => {
  it('runs at most `limit` tasks at once, the others in arrival order, and a raised limit starts waiting ones', async () => {
    const gate = new Semaphore(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const tasks = Array.from({ length: 6 }, (_, i) =>
      gate.run(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
      }),
    );
    const settle = () => new Promise((r) => setTimeout(r, 10));
    await settle();
    expect(started).toEqual([0, 1]);
    releases.shift()!();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    gate.resize(4);
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    while (releases.length) {
      releases.shift()!();
      await settle();
    }
    await Promise.all(tasks);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(4);
  });

  it('a failing task frees its slot', async () => {
    const gate = new Semaphore(1);
    await expect(gate.run(async () => { throw new Error('bad image'); })).rejects.toThrow('bad image');
    expect(await gate.run(async () => 'next')).toBe('next');
  });
});

describe('32 parallel 40-megapixel uploads', () => {
  let child: ChildProcess;
  let url: string;
  let dataDir: string;
  let lines: string[] = [];

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-decode-'));
    child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'decode-child.ts')], {
      cwd: path.resolve(HERE, '../..'),
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        // SQLite, in-process state: the memory measured is the decoding's, not a driver's.
        DATABASE_URL: `sqlite:${path.join(dataDir, 'db.sqlite3')}`,
        REDIS_URL: '',
        SECRET_KEY: 'decode-secret-key-' + randomBytes(16).toString('hex'),
        THROTTLE_ANON_RATE: 'off',
        THROTTLE_USER_RATE: 'off',
        LOG_LEVEL: 'silent',
        SURFACES: 'v1',
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const parts = out.split('\n');
      out = parts.pop()!;
      lines.push(...parts);
    });
    const port = await new Promise<number>((resolve, reject) => {
      const poll = setInterval(() => {
        const m = lines.map((l) => /^listening (\d+)$/.exec(l)).find(Boolean);
        if (m) {
          clearInterval(poll);
          resolve(Number(m[1]));
        }
      }, 20);
      child.once('exit', (code) => {
        clearInterval(poll);
        reject(new Error(`decode child exited with ${code}`));
      });
    });
    url = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function peakMiB(): Promise<number> {
    lines = lines.filter((l) => !l.startsWith('peak '));
    child.stdin!.write('peak\n');
    for (let i = 0; i < 100; i++) {
      const m = lines.map((l) => /^peak (\d+)$/.exec(l)).find(Boolean);
      if (m) return Number(m[1]) / 1024;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the child did not report its peak');
  }

  it('are all accepted while the server stays under 600 MiB', async () => {
    // 8000 x 5000 = 40,000,000 pixels, the most v1 accepts, in a file far under its 5 MiB.
    const image = await sharp({ create: { width: 8000, height: 5000, channels: 3, background: { r: 200, g: 30, b: 90 } } }).jpeg().toBuffer();
    const tokens = await Promise.all(Array.from({ length: 32 }, async () => knoxLogin(url, await registerUser(url, 'big'))));
    const before = await peakMiB();
    const answers = await Promise.all(
      tokens.map((token) => {
        const form = new FormData();
        form.append('avatar', new Blob([new Uint8Array(image)]), 'huge.jpg');
        return request(url, 'PUT', V1 + 'me/avatar/', { headers: tokenHeader(token), body: form });
      }),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(32).fill(202));
    const peak = await peakMiB();
    expect(peak, `peak RSS ${Math.round(peak)} MiB (before the uploads: ${Math.round(before)} MiB)`).toBeLessThan(600);
  }, 120_000);
});
