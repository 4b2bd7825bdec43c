// The admin JSON API (admin.md §3): every route under /admin/api/, declared in the files beside
// this one and registered by the one route mechanism with the API's style.
import type { AdminServices } from '../service/index.js';
import { adminAuditRoutes } from './audit.js';
import { adminProfileRoutes } from './profiles.js';
import type { AdminApiRoute } from './style.js';
import { adminUserRoutes } from './users.js';
import { adminWebhookRoutes } from './webhooks.js';

export const API_PREFIX = '/admin/api/';

export function adminApiRoutes(services: AdminServices): AdminApiRoute[] {
  return [...adminAuditRoutes(services), ...adminUserRoutes(services), ...adminProfileRoutes(services), ...adminWebhookRoutes(services)];
}
