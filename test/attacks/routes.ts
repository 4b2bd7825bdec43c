// The routes an attack aims at: every operation of the live OpenAPI document (so routes other
// helpers add are covered as soon as they are served), plus what the document does not show:
// the admin web UI's pages (HTML, undocumented by design), the legacy spellings a surface also
// serves, unknown paths under each surface, and the operations endpoints.
import type { Wire } from './wire.js';

export interface RouteInfo {
  /** Path with `{name}` parameters, as the document writes it. */
  template: string;
  /** Methods the route serves (upper case). */
  methods: string[];
  /** Request media types the route documents (empty: no body). */
  bodyTypes: string[];
  /** Field names of the documented body (and of the UI's forms). */
  fields: string[];
  /** Query parameters the route reads. */
  query: string[];
  documented: boolean;
}

const FORM = 'application/x-www-form-urlencoded';

/** The admin UI (admin.md §2.2): server-rendered pages, hidden from the document. */
const ADMIN_UI: RouteInfo[] = [
  ui('/admin/login/', ['GET', 'POST'], ['username', 'password', 'next']),
  ui('/admin/logout/', ['POST'], []),
  ui('/admin/', ['GET'], []),
  ui('/admin/users/', ['GET'], [], ['q', 'active', 'staff', 'locked', 'verified', 'page']),
  ui('/admin/users/{id}/', ['GET', 'POST'], ['full_name', 'email', 'username', 'phone', 'contacts', 'is_active', 'is_staff', 'is_superuser', 'email_verified']),
  ui('/admin/users/{id}/password/', ['GET', 'POST'], ['password1', 'password2']),
  ui('/admin/users/{id}/unlock/', ['POST'], []),
  ui('/admin/users/{id}/revoke-sessions/', ['POST'], []),
  ui('/admin/users/{id}/send-reset/', ['POST'], []),
  ui('/admin/users/{id}/delete/', ['GET', 'POST'], []),
  ui('/admin/profiles/{kind}/', ['GET'], [], ['q', 'page']),
  ui('/admin/profiles/{kind}/{id}/', ['GET', 'POST'], ['bio', 'instagram']),
  ui('/admin/profiles/{kind}/{id}/delete/', ['GET', 'POST'], []),
  ui('/admin/audit/', ['GET'], [], ['event', 'q', 'from', 'to', 'page']),
  ui('/admin/static/admin.css', ['GET'], []),
];

/** Spellings served beside the documented ones, and paths no route has. */
const OTHERS: RouteInfo[] = [
  other('/acount/set_picture', ['POST'], ['application/json', FORM, 'multipart/form-data'], ['id']),
  other('/docs', ['GET'], [], []),
  other('/openapi.json', ['GET'], [], []),
  // Unknown paths of a few surfaces (the path spellings the campaign draws reach the others).
  ...['/v1/user/nope/', '/acount/nope', '/admin/api/nope/', '/admin/nope/', '/nope'].map((p) =>
    other(p, ['GET', 'POST'], ['application/json'], []),
  ),
];

function ui(template: string, methods: string[], fields: string[], query: string[] = []): RouteInfo {
  return { template, methods, bodyTypes: methods.includes('POST') ? [FORM] : [], fields: [...fields, 'csrfmiddlewaretoken'], query, documented: false };
}

function other(template: string, methods: string[], bodyTypes: string[], fields: string[]): RouteInfo {
  return { template, methods, bodyTypes, fields, query: [], documented: false };
}

interface OpenApiOperation {
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
  parameters?: Array<{ name: string; in: string }>;
}

/** Every operation of `/openapi.json`, grouped by path, plus the undocumented routes above. */
export async function liveRoutes(wire: Wire): Promise<RouteInfo[]> {
  const r = await wire.send({ method: 'GET', path: '/openapi.json' });
  if (r.status !== 200) throw new Error(`GET /openapi.json answered ${r.status}`);
  const doc = r.json as { paths: Record<string, Record<string, OpenApiOperation>> };
  const routes: RouteInfo[] = [];
  for (const [template, ops] of Object.entries(doc.paths)) {
    const methods: string[] = [];
    const bodyTypes = new Set<string>();
    const fields = new Set<string>();
    const query = new Set<string>();
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(method)) continue;
      methods.push(method.toUpperCase());
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        bodyTypes.add(type);
        for (const f of Object.keys(media.schema?.properties ?? {})) fields.add(f);
      }
      for (const p of op.parameters ?? []) if (p.in === 'query') query.add(p.name);
    }
    routes.push({ template, methods, bodyTypes: [...bodyTypes], fields: [...fields], query: [...query], documented: true });
  }
  return [...routes, ...ADMIN_UI, ...OTHERS];
}

/** The `{name}` parameters of a template, in order. */
export function paramNames(template: string): string[] {
  return [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
}
