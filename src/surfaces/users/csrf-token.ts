// GET / and GET /get-csrf-token/ (users.md §2.1): each hands out the `csrftoken` cookie,
// re-sending the one the browser has or making one.
import { csrfCookie, newCsrfToken, setCsrfCookie } from '../../http/csrf.js';
import type { GenericReply } from '../../http/surface.js';
import type { Call } from './pipeline.js';

const HELLO: GenericReply = Object.freeze({ status: 200, body: { message: 'hello from backend.' } });
const COOKIE_SET: GenericReply = Object.freeze({ status: 200, body: { message: 'CSRF cookie set.' } });

function withCsrfCookie({ ctx, request, reply }: Call): void {
  setCsrfCookie(reply, ctx.config, csrfCookie(request) ?? newCsrfToken());
}

export async function hello(call: Call): Promise<GenericReply> {
  withCsrfCookie(call);
  return HELLO;
}

export async function csrfToken(call: Call): Promise<GenericReply> {
  withCsrfCookie(call);
  return COOKIE_SET;
}
