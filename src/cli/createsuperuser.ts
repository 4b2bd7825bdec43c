// `gatehouse createsuperuser` (admin.md §1): the first staff account, from the command line.
import { loadConfig } from '../config.js';
import { Accounts } from '../core/accounts.js';
import { register } from '../core/actions/register.js';
import { Audit } from '../core/audit.js';
import { commandLineOutbox } from '../core/events/index.js';
import { PasswordHasher } from '../core/passwords.js';
import { isValidEmail } from '../core/validators.js';
import { openStore } from '../store/db.js';
import { migrateToLatest } from '../store/migrations.js';
import { CliError } from './errors.js';
import { ask, askHidden, isInteractive } from './prompt.js';

export interface SuperuserInput { email?: string; username?: string; password?: string }

/** The rules of admin.md §1; returns the first problem or null. */
export function superuserProblem(field: 'email' | 'username' | 'password', value: string): string | null {
  if (field === 'email') return isValidEmail(value) ? null : 'email: enter a valid email address';
  if (field === 'username') {
    if (value === '') return 'username: may not be empty';
    return value.length > 150 ? 'username: at most 150 characters' : null;
  }
  if ([...value].length < 8) return 'password: at least 8 characters';
  return [...value].length > 128 ? 'password: at most 128 characters' : null;
}

async function obtain(field: 'email' | 'username' | 'password', given: string | undefined): Promise<string> {
  if (given !== undefined) {
    const v = field === 'password' ? given : given.trim();
    const problem = superuserProblem(field, v);
    if (problem) throw new CliError(problem);
    return v;
  }
  if (!isInteractive()) throw new CliError(`--${field} is required when there is no terminal to ask on`);
  for (;;) {
    let v: string;
    if (field === 'password') {
      v = await askHidden('Password: ');
      const again = await askHidden('Password (again): ');
      if (v !== again) {
        console.error("Error: the two passwords didn't match.");
        continue;
      }
    } else {
      v = (await ask(field === 'email' ? 'Email: ' : 'Username: ')).trim();
    }
    const problem = superuserProblem(field, v);
    if (!problem) return v;
    console.error(`Error: ${problem}`);
  }
}

export async function createSuperuser(input: SuperuserInput): Promise<void> {
  const config = loadConfig();
  const email = await obtain('email', input.email);
  const username = await obtain('username', input.username);
  const password = await obtain('password', input.password);
  const store = openStore(config.databaseUrl);
  try {
    await migrateToLatest(store.db, store.dialect);
    const passwords = new PasswordHasher(config.argon2);
    const accounts = new Accounts(store.db, passwords);
    if (await accounts.emailTaken(email)) throw new CliError('email: a user with that email already exists');
    if (await accounts.usernameTaken(username)) throw new CliError('username: a user with that username already exists');
    // The core's registration: the row, the audit entry and user.created (surface `cli`) commit together.
    const deps = { db: store.db, passwords, accounts, audit: new Audit(store.db), outbox: commandLineOutbox(store.dialect, config) };
    const r = await register(
      deps,
      { email, username, password, isStaff: true, isSuperuser: true, isActive: true, emailVerified: false },
      { meta: { surface: 'cli', ip: null, userAgent: null }, event: 'user.createsuperuser' },
    );
    if (!r.ok) throw new CliError(`${r.conflict}: a user with that ${r.conflict} already exists`);
    console.log(`Superuser "${username}" created (id ${r.user.id}).`);
  } finally {
    await store.close();
  }
}
