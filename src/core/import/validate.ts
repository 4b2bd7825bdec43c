// One source record -> a row for the users table, or the reason it is rejected. The rules are
// the service's own (v1.md §0.6, Django's field limits), so an imported account is one that
// registration could have made; hashes are kept only when PasswordHasher can verify them.
import type { PasswordHasher } from '../passwords.js';
import { isValidEmail } from '../validators.js';
import { GIVEN, type ImportRow, type SourceRecord } from './types.js';
import { Rejection, dateTime, flag, quote, text } from './values.js';

const MAX_EMAIL = 254; // Django's EmailField
const MAX_USERNAME = 150; // Django's AbstractUser.username
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export class RowValidator {
  /**
   * @param passwords decides which hashes are kept (isUsable)
   * @param now microseconds: `created` of a record without a date_joined/created
   */
  constructor(private readonly passwords: Pick<PasswordHasher, 'isUsable'>, private readonly now: number) {}

  /** The row, or the reason the record is rejected (as "field: problem"). */
  validate(rec: SourceRecord): ImportRow | string {
    if (rec.fields === null) return rec.error ?? 'unreadable record';
    try {
      return this.toRow(rec, rec.fields, userFields(rec.fields));
    } catch (err) {
      if (err instanceof Rejection) return err.message;
      throw err;
    }
  }

  private toRow(rec: SourceRecord, record: Record<string, unknown>, f: Record<string, unknown>): ImportRow {
    const email = identity('email', f.email, MAX_EMAIL);
    if (email !== null && !isValidEmail(email)) throw new Rejection(`email: not a valid email address: ${quote(email)}`);
    const username = identity('username', f.username, MAX_USERNAME);
    if (username !== null && CONTROL.test(username)) throw new Rejection('username: contains control characters');
    if (email === null && username === null) throw new Rejection(`neither email nor username${modelNote(record)}`);

    const isActive = flag('is_active', f.is_active);
    const isStaff = flag('is_staff', f.is_staff);
    const isSuperuser = flag('is_superuser', f.is_superuser);
    const emailVerified = flag('email_verified', f.email_verified);
    const created = dateTime('date_joined', f.date_joined) ?? dateTime('created', f.created);
    const lastLogin = dateTime('last_login', f.last_login);
    return {
      line: rec.line,
      record: rec.record,
      email,
      emailCi: email === null ? null : email.toLowerCase(),
      username,
      usernameCi: username === null ? null : username.toLowerCase(),
      password: this.usableHash(f.password),
      fullName: fullName(f),
      isActive: isActive ?? true,
      isStaff: isStaff ?? false,
      isSuperuser: isSuperuser ?? false,
      emailVerified: emailVerified ?? false,
      created: created ?? this.now,
      lastLogin: lastLogin ?? null,
      given: givenBits(f, { isActive, isStaff, isSuperuser, emailVerified, created }),
    };
  }

  // An unknown, malformed or deliberately unusable hash (Django's `!…`) means "reset needed".
  // The value itself is never quoted in a reason.
  private usableHash(value: unknown): string | null {
    if (value !== undefined && value !== null && typeof value !== 'string') throw new Rejection('password: expected text');
    return typeof value === 'string' && this.passwords.isUsable(value) ? value : null;
  }
}

/** A Django dumpdata element is `{model, pk, fields}`; any other object is the fields itself. */
function userFields(record: Record<string, unknown>): Record<string, unknown> {
  const inner = record.fields;
  const wrapped = typeof record.model === 'string' && inner !== null && typeof inner === 'object' && !Array.isArray(inner);
  return wrapped ? (inner as Record<string, unknown>) : record;
}

// A whole-project dumpdata also holds groups, permissions, sessions: say which model it was.
function modelNote(record: Record<string, unknown>): string {
  return typeof record.model === 'string' ? ` (model ${quote(record.model)})` : '';
}

/** Email or username: trimmed; empty means absent (NULL). Lengths count characters, as Django does. */
function identity(name: string, value: unknown, max: number): string | null {
  const raw = checkedText(name, value);
  const trimmed = raw?.trim() ?? '';
  if (trimmed === '') return null;
  if (trimmed.length > max && [...trimmed].length > max) throw new Rejection(`${name}: longer than ${max} characters`);
  return trimmed;
}

/** full_name when given, else "first last" (Django's get_full_name()). */
function fullName(f: Record<string, unknown>): string {
  const full = checkedText('full_name', f.full_name)?.trim();
  if (full) return full;
  const first = checkedText('first_name', f.first_name) ?? '';
  const last = checkedText('last_name', f.last_name) ?? '';
  return `${first} ${last}`.trim();
}

// The file is read as UTF-8; bytes that are not become U+FFFD. Stored names would be garbled
// for good, so such a record is rejected and the operator can convert the file.
function checkedText(name: string, value: unknown): string | null | undefined {
  const raw = text(name, value);
  if (raw?.includes('\uFFFD')) throw new Rejection(`${name}: not valid UTF-8 (convert the file to UTF-8 first)`);
  // Neither database takes it (the store refuses it for both, as PostgreSQL must).
  if (raw?.includes('\0')) throw new Rejection(`${name}: contains a NUL character`);
  return raw;
}

interface OptionalValues {
  isActive: boolean | undefined;
  isStaff: boolean | undefined;
  isSuperuser: boolean | undefined;
  emailVerified: boolean | undefined;
  created: number | undefined;
}

/**
 * What --update may overwrite. Identity, password, name and last_login count as given when
 * their key is present at all (empty is a value: "none"); flags and the creation date only
 * when they carry a value, since an empty CSV cell there means "unknown", not "false".
 */
function givenBits(f: Record<string, unknown>, v: OptionalValues): number {
  let bits = 0;
  if ('email' in f) bits |= GIVEN.email;
  if ('username' in f) bits |= GIVEN.username;
  if ('password' in f) bits |= GIVEN.password;
  if ('full_name' in f || 'first_name' in f || 'last_name' in f) bits |= GIVEN.fullName;
  if (v.isActive !== undefined) bits |= GIVEN.isActive;
  if (v.isStaff !== undefined) bits |= GIVEN.isStaff;
  if (v.isSuperuser !== undefined) bits |= GIVEN.isSuperuser;
  if (v.emailVerified !== undefined) bits |= GIVEN.emailVerified;
  if (v.created !== undefined) bits |= GIVEN.created;
  if ('last_login' in f) bits |= GIVEN.lastLogin;
  return bits;
}
