import { account } from './account.js';
import { admin } from './admin.js';
import { apiUser } from './api-user.js';
import type { Scenario } from './types.js';
import { userAccount } from './user-account.js';
import { users } from './users.js';
import { v1 } from './v1.js';

export const SCENARIOS: readonly Scenario[] = [v1, apiUser, account, users, userAccount, admin];
