// Page numbers in the UI's lists: `page=N`, anything unusable means the first page and a page
// past the end shows the last one (as Django's Paginator.get_page), with links that keep the
// list's filters.
import type { FastifyRequest } from 'fastify';
import { type SafeHtml, html } from './html.js';

export interface Paged<T> {
  page: number;
  pages: number;
  count: number;
  items: T[];
}

/** Single values of the query string (the last one of a repeated name). */
export function queryOf(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.query as Record<string, string | string[] | undefined>)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v) && v.length) out[k] = v[v.length - 1];
  }
  return out;
}

function requestedPage(raw: string | undefined): number {
  const n = raw && /^\d{1,9}$/.test(raw) ? Number(raw) : 1;
  return n >= 1 ? n : 1;
}

/** Loads the requested page, or the last one when it lies past the end. */
export async function loadPage<T>(raw: string | undefined, size: number, load: (offset: number, limit: number) => Promise<{ count: number; items: T[] }>): Promise<Paged<T>> {
  let page = requestedPage(raw);
  let found = await load((page - 1) * size, size);
  const pages = Math.max(1, Math.ceil(found.count / size));
  if (page > pages) {
    page = pages;
    found = await load((page - 1) * size, size);
  }
  return { page, pages, count: found.count, items: found.items };
}

function linkTo(path: string, query: Record<string, string>, page: number): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (k !== 'page' && v !== '') params.set(k, v);
  if (page > 1) params.set('page', String(page));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export function pager(path: string, query: Record<string, string>, p: Paged<unknown>, noun: string): SafeHtml {
  const prev = p.page > 1 ? html`<a rel="prev" href="${linkTo(path, query, p.page - 1)}">Previous</a>` : html`<span class="muted">Previous</span>`;
  const next = p.page < p.pages ? html`<a rel="next" href="${linkTo(path, query, p.page + 1)}">Next</a>` : html`<span class="muted">Next</span>`;
  return html`<nav class="pager" aria-label="Pages">${prev}<span>Page ${p.page} of ${p.pages} \u00b7 ${p.count} ${noun}</span>${next}</nav>`;
}
