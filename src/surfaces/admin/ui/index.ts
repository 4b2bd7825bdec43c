// The admin web UI (admin.md §2): server-rendered pages under /admin/ that work without script.
import type { FastifyInstance } from 'fastify';
import type { AdminServices } from '../service/index.js';
import { registerAudit } from './audit.js';
import { registerDashboard } from './dashboard.js';
import { registerLogin } from './login.js';
import { registerProfiles } from './profiles.js';
import { registerStylesheet } from './stylesheet.js';
import { registerUserActions } from './user-actions.js';
import { registerUserDetail } from './user-detail.js';
import { registerUserList } from './users-list.js';

export function registerUi(app: FastifyInstance, services: AdminServices): void {
  registerStylesheet(app);
  registerLogin(app, services);
  registerDashboard(app, services);
  registerUserList(app, services);
  registerUserDetail(app, services);
  registerUserActions(app, services);
  registerProfiles(app, services);
  registerAudit(app, services);
}
