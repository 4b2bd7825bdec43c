// Page-number paging of the JSON API's lists (admin.md §3.1), as DRF's PageNumberPagination:
// `page` (from 1) and `page_size` (default 50, capped at 200; a bad size means the default),
// an out-of-range page is 404 "Invalid page.", and next/previous are absolute URLs.
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../../config.js';
import { publicBase } from '../../../http/request.js';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;

export interface PageRequest {
  page: number;
  size: number;
  offset: number;
}

export interface PageBody<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** The last value of a repeated query parameter, as Django's QueryDict.get gives it. */
export function queryParam(request: FastifyRequest, name: string): string | undefined {
  const v = (request.query as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function positiveInt(text: string | undefined): number | null {
  if (text === undefined || !/^\d{1,9}$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return n >= 1 ? n : null;
}

/** null when `page` is not a positive integer (404 "Invalid page."). */
export function pageRequest(request: FastifyRequest): PageRequest | null {
  const rawPage = queryParam(request, 'page');
  const page = rawPage === undefined ? 1 : positiveInt(rawPage);
  if (page === null) return null;
  const size = Math.min(positiveInt(queryParam(request, 'page_size')) ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  return { page, size, offset: (page - 1) * size };
}

/** Page 1 always exists (an empty list is a page); later pages must hold something. */
export function pageExists(p: PageRequest, count: number): boolean {
  return p.page === 1 || p.offset < count;
}

/** Only the path and query are taken from the request URL; a fixed base parses them whatever the Host. */
const PARSE_BASE = 'http://gatehouse.invalid';

function pageUrl(request: FastifyRequest, config: Pick<Config, 'publicUrl'>, page: number): string {
  const url = new URL(request.url, PARSE_BASE);
  if (page === 1) url.searchParams.delete('page');
  else url.searchParams.set('page', String(page));
  return publicBase(request, config) + url.pathname + url.search;
}

export function pageBody<T>(request: FastifyRequest, config: Pick<Config, 'publicUrl'>, p: PageRequest, count: number, results: T[]): PageBody<T> {
  const hasNext = p.offset + p.size < count;
  return {
    count,
    next: hasNext ? pageUrl(request, config, p.page + 1) : null,
    previous: p.page > 1 ? pageUrl(request, config, p.page - 1) : null,
    results,
  };
}
