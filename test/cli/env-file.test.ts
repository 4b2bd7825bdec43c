// `.env` in the working directory is read by bin/gatehouse.js (Node's own loader) when present;
// a setting already in the environment wins, even an empty one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadEnvFile } from '../../src/cli/env-file.js';
import { cleanEnv, requireBuild, runCli } from '../helpers/cli.js';

let root: string;
let cwd: string;

beforeAll(() => {
  requireBuild();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-dotenv-'));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

let n = 0;
beforeEach(() => {
  cwd = path.join(root, `case-${++n}`);
  fs.mkdirSync(cwd);
});

function writeDotEnv(text: string): void {
  fs.writeFileSync(path.join(cwd, '.env'), text);
}

const sqlite = (dir: string) => path.join(dir, 'gatehouse.sqlite3');

// `migrate` creates the SQLite database in DATA_DIR: where it lands shows which DATA_DIR won.
// (SQLite on purpose, whatever TEST_DATABASE_URL says: the setting under test is a path.)
describe('gatehouse reads .env from the working directory', () => {
  it('applies the settings of .env', () => {
    const fromFile = path.join(cwd, 'from-dotenv');
    writeDotEnv(`# settings for local work\nDATA_DIR=${fromFile}\nLOG_LEVEL="warn" # quoted, with a comment\n`);
    const r = runCli(['migrate'], { env: cleanEnv(), cwd });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.existsSync(sqlite(fromFile))).toBe(true);
  });

  it('a setting in the environment wins over .env', () => {
    const fromFile = path.join(cwd, 'from-dotenv');
    const fromEnv = path.join(cwd, 'from-env');
    writeDotEnv(`DATA_DIR=${fromFile}\n`);
    const r = runCli(['migrate'], { env: cleanEnv({ DATA_DIR: fromEnv }), cwd });
    expect(r.status).toBe(0);
    expect(fs.existsSync(sqlite(fromEnv))).toBe(true);
    expect(fs.existsSync(fromFile)).toBe(false);
  });

  it('an empty setting in the environment wins too (it means "unset": the default applies)', () => {
    const fromFile = path.join(cwd, 'from-dotenv');
    writeDotEnv(`DATA_DIR=${fromFile}\n`);
    const r = runCli(['migrate'], { env: cleanEnv({ DATA_DIR: '' }), cwd });
    expect(r.status).toBe(0);
    expect(fs.existsSync(sqlite(path.join(cwd, 'data')))).toBe(true);
    expect(fs.existsSync(fromFile)).toBe(false);
  });

  it('a bad value in .env stops the start with the usual one line naming the setting', () => {
    writeDotEnv('PORT=abc\n');
    const r = runCli(['serve'], { env: cleanEnv({ DATA_DIR: path.join(cwd, 'data') }), cwd });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('gatehouse: PORT: expected an integer, got "abc"\n');
  });

  it('is read before anything else: NODE_ENV from .env decides the mode', () => {
    writeDotEnv('NODE_ENV=production\n');
    const r = runCli(['serve'], { env: cleanEnv({ DATA_DIR: path.join(cwd, 'data') }), cwd });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('gatehouse: SECRET_KEY: must be set when NODE_ENV=production\n');
  });

  it('without a .env nothing is loaded and nothing is said', () => {
    const r = runCli(['migrate'], { env: cleanEnv(), cwd });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.existsSync(sqlite(path.join(cwd, 'data')))).toBe(true);
  });

  it('only the working directory counts, not the directory of the program', () => {
    const nested = path.join(cwd, 'sub');
    fs.mkdirSync(nested);
    writeDotEnv(`DATA_DIR=${path.join(cwd, 'from-parent')}\n`);
    const r = runCli(['migrate'], { env: cleanEnv(), cwd: nested });
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(cwd, 'from-parent'))).toBe(false);
    expect(fs.existsSync(sqlite(path.join(nested, 'data')))).toBe(true);
  });

  it('a .env that is not a file stops with one line', () => {
    fs.mkdirSync(path.join(cwd, '.env'));
    const r = runCli(['migrate'], { env: cleanEnv(), cwd });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`gatehouse: ${path.join(cwd, '.env')} is not a file (it should hold NAME=value lines, see .env.example)\n`);
    expect(fs.existsSync(path.join(cwd, 'data'))).toBe(false);
  });
});

describe('loadEnvFile', () => {
  it('reports the file it loaded, or null', () => {
    const key = `GATEHOUSE_TEST_${n}_${process.pid}`;
    expect(loadEnvFile(cwd)).toEqual({ ok: true, file: null });
    writeDotEnv(`${key}=loaded\n`);
    try {
      expect(loadEnvFile(cwd)).toEqual({ ok: true, file: path.join(cwd, '.env') });
      expect(process.env[key]).toBe('loaded');
    } finally {
      delete process.env[key];
    }
  });
});
