// The admin web UI (admin.md §2): server-rendered pages under /admin/ that work without script,
// declared in the files beside this one and registered by the one route mechanism with the UI's
// style.
import type { AdminServices } from '../service/index.js';
import { auditPages } from './audit.js';
import { dashboardPages } from './dashboard.js';
import { loginPages } from './login.js';
import { secondStepPages } from './login-mfa.js';
import { profilePages } from './profiles.js';
import { stylesheetRoutes } from './stylesheet.js';
import type { UiRoute } from './style.js';
import { userActionPages } from './user-actions.js';
import { userDetailPages } from './user-detail.js';
import { userListPages } from './users-list.js';
import { webhookPages } from './webhooks.js';

export function adminUiRoutes(services: AdminServices): UiRoute[] {
  return [
    ...stylesheetRoutes(),
    ...loginPages(services),
    ...secondStepPages(services),
    ...dashboardPages(services),
    ...userListPages(services),
    ...userDetailPages(services),
    ...userActionPages(services),
    ...profilePages(services),
    ...auditPages(services),
    ...webhookPages(services),
  ];
}
