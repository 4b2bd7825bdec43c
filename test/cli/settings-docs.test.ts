// Every setting the code reads is documented: in the README's settings table and in .env.example
// (with its real default). config.ts lists the names (SETTINGS) and reads no other; nothing else
// in src/ reads the environment. Adding a setting without documenting it fails here.
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTINGS } from '../../src/config.js';

const README = fs.readFileSync('README.md', 'utf8');
const EXAMPLE = fs.readFileSync('.env.example', 'utf8');

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  expect(start, `README has a "${heading}" section`).toBeGreaterThan(-1);
  const level = heading.split(' ')[0];
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^#{1,${level.length}} `, 'm'));
  return end === -1 ? rest : rest.slice(0, end);
}

/** The backticked names in the first column of the README's settings table. */
function readmeSettings(): string[] {
  const rows = section(README, '## Settings')
    .split('\n')
    .filter((l) => l.startsWith('| `'));
  return rows.flatMap((row) => [...row.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]));
}

/** `NAME=value` lines of .env.example, commented out or not. */
function exampleLines(): { name: string; line: string; index: number }[] {
  return EXAMPLE.split('\n').flatMap((line, index) => {
    const m = /^#? ?([A-Z][A-Z0-9_]*)=/.exec(line);
    return m ? [{ name: m[1], line, index }] : [];
  });
}

/** .env.example with every setting uncommented, as Node's loader reads it. */
function exampleEnv(): Record<string, string> {
  const text = EXAMPLE.split('\n').map((l) => l.replace(/^# ?(?=[A-Z][A-Z0-9_]*=)/, '')).join('\n');
  return parseEnv(text) as Record<string, string>;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* sourceFiles(p);
    else if (/\.(ts|js|mjs|cjs)$/.test(e.name)) yield p;
  }
}

// Comments may talk about the environment; code may not read it.
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('settings', () => {
  it('nothing in src/ but config.ts reads the environment', () => {
    const readers: string[] = [];
    for (const file of [...sourceFiles('src'), 'bin/gatehouse.js']) {
      if (path.resolve(file) === path.resolve('src/config.ts')) continue;
      const text = code(fs.readFileSync(file, 'utf8'));
      const reads = /\bprocess\s*\.\s*env\b|\bprocess\s*\[\s*['"`]env['"`]\s*\]|\benv\b[^;]*from\s+['"](node:)?process['"]|\bprocess\s*\.\s*getBuiltinModule/.test(text);
      if (reads) readers.push(file);
    }
    expect(readers).toEqual([]);
  });

  it('loadConfig reads exactly the settings SETTINGS lists', () => {
    const touched = new Set<string>();
    const env = new Proxy(exampleEnv(), {
      get(target, key) {
        if (typeof key === 'string') touched.add(key);
        return Reflect.get(target, key);
      },
      has(target, key) {
        if (typeof key === 'string') touched.add(key);
        return Reflect.has(target, key);
      },
    });
    loadConfig(env);
    expect([...touched].sort()).toEqual([...SETTINGS].sort());
  });

  it('every setting is in the README settings table, and the table names no other', () => {
    const documented = readmeSettings();
    expect(documented.filter((n) => !(SETTINGS as readonly string[]).includes(n)), 'documented but never read').toEqual([]);
    expect(SETTINGS.filter((n) => !documented.includes(n)), 'read but not in the README table').toEqual([]);
    expect(new Set(documented).size, 'each setting has one row').toBe(documented.length);
  });

  it('every setting is in .env.example once, under a comment, and it names no other', () => {
    const lines = exampleLines();
    const names = lines.map((l) => l.name);
    expect(names.filter((n) => !(SETTINGS as readonly string[]).includes(n)), 'in .env.example but never read').toEqual([]);
    expect(SETTINGS.filter((n) => !names.includes(n)), 'read but not in .env.example').toEqual([]);
    expect(new Set(names).size, 'each setting appears once').toBe(names.length);
    const all = EXAMPLE.split('\n');
    for (const l of lines) {
      expect(all[l.index - 1], `a comment line above ${l.name}`).toMatch(/^# (?![A-Z][A-Z0-9_]*=)\S/);
      expect(l.line, `${l.name} is commented out, so the file changes nothing until edited`).toMatch(/^# /);
    }
  });

  it('.env.example shows the defaults: with every line uncommented, the settings are those of an empty environment', () => {
    expect(loadConfig(exampleEnv())).toEqual(loadConfig({}));
  });
});

describe('README: local development', () => {
  const block = section(README, '### Local development');
  const command = /```sh\n([^\n]*npm start)\n/.exec(block)?.[1] ?? '';
  const assignments = Object.fromEntries([...command.matchAll(/\b([A-Z][A-Z0-9_]*)=(\S+)/g)].map((m) => [m[1], m[2]]));

  it('gives one line of settings that turn the throttles off and relax the lockout', () => {
    expect(command).toMatch(/^([A-Z][A-Z0-9_]*=\S+ )+npm start$/);
    const dev = loadConfig(assignments);
    expect(dev.throttleAnon).toBeNull();
    expect(dev.throttleUser).toBeNull();
    expect(dev.lockoutFailures === 0 || dev.lockoutMinutes < loadConfig({}).lockoutMinutes).toBe(true);
  });

  it('those are never the defaults', () => {
    const defaults = loadConfig({});
    expect(defaults.throttleAnon).not.toBeNull();
    expect(defaults.throttleUser).not.toBeNull();
    expect(defaults.lockoutFailures).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(assignments)) {
      expect(exampleEnv()[name], `${name}=${value} is not the default`).not.toBe(value);
    }
  });
});
