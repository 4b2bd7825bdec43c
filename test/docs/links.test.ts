// The links of the API reference lead somewhere: every relative link of docs/api/*.md and of the
// README's API reference names a file of the repository, and every #anchor a heading of its page
// (GitHub's heading ids: lower case, punctuation dropped, spaces as hyphens).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownFiles } from './support/render.js';

function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)) {
    const base = m[1].trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

function linksOf(markdown: string): string[] {
  return [...markdown.replace(/```[\s\S]*?```/g, '').matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
}

describe('links of the API reference', () => {
  const pages = [...markdownFiles(), 'README.md'];

  it.each(pages)('%s: every relative link and anchor resolves', (page) => {
    const text = fs.readFileSync(page, 'utf8');
    for (const link of linksOf(text)) {
      const [file, anchor] = link.split('#');
      const target = file === '' ? page : path.join(path.dirname(page), file);
      expect(fs.existsSync(target), `${page}: ${link}`).toBe(true);
      if (anchor !== undefined && target.endsWith('.md')) expect(headingIds(fs.readFileSync(target, 'utf8')).has(anchor), `${page}: ${link}`).toBe(true);
    }
  });

  it('the README links the reference of every API and the examples', () => {
    const readme = fs.readFileSync('README.md', 'utf8');
    for (const page of markdownFiles()) expect(readme).toContain(`(${page})`);
    expect(readme).toContain('(examples)');
  });
});
