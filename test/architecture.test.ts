// The shape of the code (docs/architecture.md): imports point one way, surfaces -> http -> core
// -> store, kv; core never sees Fastify; surfaces never import each other; nothing keeps
// mutable state at module level (two apps run in one process); cookies are read through one
// function. A violation fails here.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/** The layer of a file under src/: its first folder, or `app` for the files at the root. */
function layerOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length === 1 ? 'app' : rel[0];
}

function surfaceOf(file: string): string | null {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel[0] === 'surfaces' && rel.length > 2 ? rel[1] : null;
}

interface Import { from: string; to: string; spec: string }

function importsOf(file: string): Import[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: Import[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g)) {
    const spec = m[1];
    const to = spec.startsWith('.') ? path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')) : spec;
    out.push({ from: file, to, spec });
  }
  for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) {
    const spec = m[1];
    out.push({ from: file, to: spec.startsWith('.') ? path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')) : spec, spec });
  }
  return out;
}

const files = filesUnder(SRC);
const imports = files.flatMap(importsOf);
const local = imports.filter((i) => i.to.startsWith(SRC));

/** Which layers each layer may import (besides itself). `app` is the composition root. */
const ALLOWED: Record<string, readonly string[]> = {
  surfaces: ['http', 'core', 'app'],
  http: ['core', 'app'],
  core: ['store', 'kv', 'app'],
  store: ['app'],
  kv: ['app'],
  // The command line composes like app.ts does.
  cli: ['core', 'store', 'kv', 'app'],
  app: ['surfaces', 'http', 'core', 'store', 'kv', 'cli'],
};

/** Files at src/ root that lower layers may import: settings, the context types and the shared errors. */
const ROOT_FOR_LOWER_LAYERS = new Set(['config.ts', 'context.ts', 'errors.ts']);

describe('the import direction', () => {
  it('surfaces -> http -> core -> store, kv; never back', () => {
    const wrong = local.filter((i) => {
      const from = layerOf(i.from);
      const to = layerOf(i.to);
      if (from === to) return false;
      if (!(ALLOWED[from] ?? []).includes(to)) return true;
      // A lower layer may only use the settings and the context types of the root.
      return to === 'app' && from !== 'app' && from !== 'cli' && !ROOT_FOR_LOWER_LAYERS.has(path.basename(i.to));
    });
    expect(wrong.map((i) => `${path.relative(SRC, i.from)} -> ${i.spec}`)).toEqual([]);
  });

  it('core reads context.ts types only where it defines them, and never imports Fastify', () => {
    const wrong = imports.filter((i) => layerOf(i.from) === 'core' && (i.spec === 'fastify' || i.spec.startsWith('@fastify/') || path.basename(i.to) === 'context.ts'));
    expect(wrong.map((i) => `${path.relative(SRC, i.from)} -> ${i.spec}`)).toEqual([]);
  });

  it('surfaces never import each other', () => {
    const wrong = local.filter((i) => {
      const a = surfaceOf(i.from);
      const b = surfaceOf(i.to);
      return a !== null && b !== null && a !== b;
    });
    expect(wrong.map((i) => `${path.relative(SRC, i.from)} -> ${i.spec}`)).toEqual([]);
  });

  it('surfaces and http never reach the stores', () => {
    const wrong = imports.filter((i) => ['surfaces', 'http'].includes(layerOf(i.from)) && (['store', 'kv'].includes(layerOf(i.to)) || i.spec === 'kysely' || i.spec === 'ioredis' || i.spec === 'pg' || i.spec === 'better-sqlite3'));
    expect(wrong.map((i) => `${path.relative(SRC, i.from)} -> ${i.spec}`)).toEqual([]);
  });
});

describe('no module-level mutable state', () => {
  it('no top-level let, and no top-level container made empty to be filled later', () => {
    const wrong: string[] = [];
    for (const file of files) {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, n) => {
        // A Map or Set built from a literal list is a constant table; an empty one is state.
        if (/^(export )?let /.test(line) || /^(export )?const \w+(: [^=]+)? = new (Map|Set|WeakMap|WeakSet)(<[^>]*>)?\(\s*\)/.test(line)) {
          wrong.push(`${path.relative(SRC, file)}:${n + 1}: ${line.trim()}`);
        }
      });
    }
    expect(wrong).toEqual([]);
  });
});

describe('cookies', () => {
  it('are read through cookiesOf: @fastify/cookie parses none per request, so request.cookies is unset until then', () => {
    const wrong: string[] = [];
    for (const file of files) {
      if (path.relative(SRC, file) === path.join('http', 'request.ts')) continue;
      fs.readFileSync(file, 'utf8').split('\n').forEach((line, n) => {
        if (/\.cookies\b/.test(line)) wrong.push(`${path.relative(SRC, file)}:${n + 1}: ${line.trim()}`);
      });
    }
    expect(wrong).toEqual([]);
  });
});

describe('LIMITs', () => {
  it('are written with limitOf: SQLite prepares a statement whose LIMIT is a bound parameter again on every run', () => {
    const wrong: string[] = [];
    for (const file of files) {
      fs.readFileSync(file, 'utf8').split('\n').forEach((line, n) => {
        // A builder's .limit(…) whose argument is not limitOf(…), or a raw `limit ${…}` not through it.
        if (/\.limit\((?!limitOf\()/.test(line) || /\blimit \$\{(?!limitOf\()/i.test(line)) wrong.push(`${path.relative(SRC, file)}:${n + 1}: ${line.trim()}`);
      });
    }
    expect(wrong).toEqual([]);
  });
});
