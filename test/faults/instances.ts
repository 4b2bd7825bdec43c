// Real `node bin/gatehouse.js serve` processes for the fault campaign: started, SIGKILLed and
// started again on the same port, each one watched for an exit nobody asked for.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout whose build is served: this one, or FAULTS_SERVER_ROOT (e.g. an older release, to compare). */
export const ROOT = process.env.FAULTS_SERVER_ROOT ? path.resolve(process.env.FAULTS_SERVER_ROOT) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'gatehouse.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** The served code is dist/: compiled again when any source file is newer. */
export function ensureBuilt(): void {
  const dist = path.join(ROOT, 'dist', 'main.js');
  if (fs.existsSync(dist) && newestMtime(path.join(ROOT, 'dist')) >= newestMtime(path.join(ROOT, 'src'))) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
}

export interface ExitReport { instance: number; code: number | null; signal: string | null; lastLines: string }

export class Instance {
  private child: ChildProcess | null = null;
  private killing = false;
  /** Whether the current process answered once: an exit before that is a failed start. */
  private readyOnce = false;
  private tail: string[] = [];

  constructor(
    readonly index: number,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
    /** Told when the process ends without having been killed by the campaign. */
    private readonly onUnexpectedExit: (r: ExitReport) => void,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && !this.killing;
  }

  private starting: Promise<void> | null = null;
  /** Set at the end of the campaign: nothing is started any more. */
  private closed = false;

  /** Starts the process and waits until it answers /healthz; retried while it fails to start. */
  start(deadlineMs = 60_000): Promise<void> {
    this.starting ??= this.startLoop(deadlineMs).finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async startLoop(deadlineMs: number): Promise<void> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      if (this.closed) return;
      const started = await this.launchOnce();
      if (started) return;
      if (Date.now() > until) throw new Error(`instance ${this.index} did not start:\n${this.tail.join('')}`);
      // A start can fail for a reason the campaign caused (Redis stopped): try again shortly.
      await sleep(500);
    }
  }

  private async launchOnce(): Promise<boolean> {
    const log = fs.createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env: { ...this.env, PORT: String(this.port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.killing = false;
    this.tail = [];
    const keep = (chunk: Buffer) => {
      log.write(chunk);
      this.tail.push(chunk.toString('utf8'));
      if (this.tail.length > 20) this.tail.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let exited = false;
    child.once('exit', (code, signal) => {
      exited = true;
      log.end();
      if (this.child === child) this.child = null;
      if (!this.killing && this.readyOnce) {
        this.onUnexpectedExit({ instance: this.index, code, signal, lastLines: this.tail.join('') });
        // As a supervisor would: the campaign goes on, the exit is on the record.
        this.start().catch(() => {});
      }
    });
    this.readyOnce = false;
    for (let i = 0; i < 200 && !exited; i++) {
      if (await healthy(this.url)) {
        this.readyOnce = true;
        return true;
      }
      await sleep(50);
    }
    if (!exited) {
      this.killing = true;
      child.kill('SIGKILL');
    }
    return false;
  }

  /** SIGKILL: no drain, no cleanup, whatever was in flight. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.killing = true;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** The end of the campaign: SIGTERM (drain), then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    this.closed = true;
    await this.starting?.catch(() => {});
    const child = this.child;
    if (!child) return;
    this.killing = true;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const r = await fetch(url + '/healthz', { signal: AbortSignal.timeout(1000) });
    await r.arrayBuffer();
    return r.status === 200;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
