// The admin JSON API (admin.md §3): every route under /admin/api/.
import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../service/index.js';
import { auditRoutes } from './audit.js';
import { registerApiRoute } from './pipeline.js';
import { profileRoutes } from './profiles.js';
import { userRoutes } from './users.js';

export const API_PREFIX = '/admin/api/';

export function registerApi(app: FastifyInstance, services: AdminServices): void {
  for (const route of [...auditRoutes(), ...userRoutes(), ...profileRoutes()]) registerApiRoute(app, services, route);
}
