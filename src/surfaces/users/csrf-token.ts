// GET / and GET /get-csrf-token/ (users.md §2.1): each hands out the `csrftoken` cookie,
// re-sending the one the browser has or making one.
import { csrfCookie, newCsrfToken, setCsrfCookie } from '../../http/csrf.js';
import type { GenericReply } from '../../http/surface.js';
import { CSRF_COOKIE_HEADER, HelloMessage, EMPTY_405 } from './schemas.js';
import type { UsersCall, UsersRoute } from './style.js';

const HELLO: GenericReply = Object.freeze({ status: 200, body: { message: 'hello from backend.' } });
const COOKIE_SET: GenericReply = Object.freeze({ status: 200, body: { message: 'CSRF cookie set.' } });

function withCsrfCookie({ ctx, request, reply }: UsersCall): void {
  setCsrfCookie(reply, ctx.config, csrfCookie(request) ?? newCsrfToken());
}

function cookieRoute(path: string, name: string, operationId: string, summary: string, answer: GenericReply): UsersRoute {
  return {
    paths: [path],
    name,
    credential: 'optional',
    // HEAD is one more method the original did not serve (§2.1).
    headRunsGet: false,
    methods: {
      GET: {
        operationId,
        summary,
        responses: { 200: { description: 'The csrftoken cookie is set', schema: HelloMessage, headers: CSRF_COOKIE_HEADER, example: answer.body }, 405: EMPTY_405 },
        handle: async (call) => {
          withCsrfCookie(call);
          return answer;
        },
      },
    },
  };
}

export function csrfTokenRoutes(): UsersRoute[] {
  return [
    cookieRoute('/', 'Hello', 'usersHello', 'Hello, with the CSRF cookie', HELLO),
    cookieRoute('/get-csrf-token/', 'Csrf Token', 'usersGetCsrfToken', 'Set the CSRF cookie', COOKIE_SET),
  ];
}
