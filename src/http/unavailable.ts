// The answer to an outage (v1.md §0.13 "Outages"): 503 with `Retry-After`, the text "Service
// temporarily unavailable." in the shape of the surface's own 500 answer (a bare JSON string,
// an object under the surface's error key, or an HTML page), never a stack trace.
import { OUTAGE_RETRY_AFTER_SECONDS, OUTAGE_TEXT } from '../core/errors.js';
import type { GenericReply } from './surface.js';

const HEADERS = { 'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS) };

/** The outage answer shaped like `internal`, the surface's 500 (or null outside every surface). */
export function unavailableReply(internal: GenericReply | null): GenericReply {
  if (!internal) return { status: 503, body: { detail: OUTAGE_TEXT }, headers: HEADERS };
  const headers = { ...internal.headers, ...HEADERS };
  if (internal.html !== undefined) return { status: 503, html: retitled(internal.html), headers };
  const shape = internal.body;
  if (shape !== null && typeof shape === 'object' && !Array.isArray(shape)) {
    const key = Object.keys(shape)[0] ?? 'detail';
    return { status: 503, body: { [key]: OUTAGE_TEXT }, headers };
  }
  return { status: 503, body: OUTAGE_TEXT, headers };
}

/**
 * The surface's error page with the outage text where its 500 text was (the page names its
 * failure in the <h1>, and the same words in its title); a bare page when it has no <h1>.
 */
function retitled(page: string): string {
  const heading = /<h1>([^<]*)<\/h1>/.exec(page);
  if (!heading || heading[1] === '') {
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${OUTAGE_TEXT}</title></head><body><h1>${OUTAGE_TEXT}</h1></body></html>`;
  }
  return page.split(heading[1]).join(OUTAGE_TEXT);
}
