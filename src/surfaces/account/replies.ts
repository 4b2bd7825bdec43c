// Answers the account surface gives from more than one place.
import type { GenericReply } from '../../http/surface.js';

/** Responses that carry the key (v1.md §0.13). */
export const NO_STORE = { 'Cache-Control': 'no-store' };

export const SUCCESS: GenericReply = { status: 200, body: { success: true } };

export const NOT_FOUND: GenericReply = { status: 404, body: { detail: 'Not found.' } };
