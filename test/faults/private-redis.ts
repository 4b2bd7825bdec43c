// A redis-server of our own on a free loopback port, so tests can stop it, restart it, and
// freeze it (SIGSTOP) without touching the machine's shared Redis. It keeps an append-only
// file with every write synced, so a stop and a restart lose nothing, as a production Redis
// with persistence would.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class PrivateRedis {
  private child: ChildProcess | null = null;
  private frozen = false;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateRedis> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-redis-'));
    const redis = new PrivateRedis(await freePort(), dir);
    await redis.launch();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  private async launch(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes('Ready to accept connections')) done(null);
      };
      const onExit = (code: number | null) => done(new Error(`redis-server exited with ${code}: ${out}`));
      const timer = setTimeout(() => done(new Error(`redis-server did not start: ${out}`)), 10_000);
      const done = (err: Error | null) => {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      child.stdout!.on('data', onData);
      child.once('exit', onExit);
    });
    // Its log is not needed; keep the pipes drained.
    child.stdout!.resume();
    child.stderr!.resume();
  }

  /** Shuts it down (its data is kept on disk); connections are refused until `restart`. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.thaw();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    this.child = null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** The process stops running: connections stay open, nothing answers. */
  freeze(): void {
    if (this.child && !this.frozen) {
      this.child.kill('SIGSTOP');
      this.frozen = true;
    }
  }

  thaw(): void {
    if (this.child && this.frozen) {
      this.child.kill('SIGCONT');
      this.frozen = false;
    }
  }

  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
