// What one batch will do, decided from the accounts that already hold its emails and usernames:
// insert, update (--update) or skip, with the reason. A dry run is this plan and nothing else; a
// real run follows it too (writer.ts), except that a plain import lets the unique indexes turn
// existing accounts away first and plans only the rows they turned away, for the reasons.
import { GIVEN, type ImportRow } from './types.js';

/** An account that holds one of the batch's keys (lower-cased, as stored). */
export interface ExistingAccount {
  number: number;
  email_ci: string | null;
  username_ci: string | null;
}

export interface BatchPlan {
  inserts: ImportRow[];
  updates: { row: ImportRow; number: number }[];
  skips: { row: ImportRow; reason: string }[];
}

/** Marks a key taken by a row inserted earlier in the same batch. */
const NEW_ACCOUNT = -1;

/**
 * Without `update`, a row whose email or username is taken is skipped: nothing is ever
 * overwritten. With it, the row overwrites the account holding its email, else the one holding
 * its username, unless that would take a key held by a different account.
 */
export function planBatch(rows: readonly ImportRow[], existing: readonly ExistingAccount[], update: boolean): BatchPlan {
  const keys = new KeyOwners(existing);
  const plan: BatchPlan = { inserts: [], updates: [], skips: [] };
  for (const row of rows) {
    const byEmail = keys.ownerOfEmail(row.emailCi);
    const byUsername = keys.ownerOfUsername(row.usernameCi);
    const target = byEmail ?? byUsername;
    if (target === undefined) {
      plan.inserts.push(row);
      keys.claim(NEW_ACCOUNT, row);
    } else if (!update) {
      plan.skips.push({ row, reason: byEmail !== undefined ? 'email already exists' : 'username already exists' });
    } else if (target === NEW_ACCOUNT) {
      plan.skips.push({ row, reason: 'email or username was taken by an earlier row of this file' });
    } else if (byUsername !== undefined && byUsername !== target) {
      plan.skips.push({ row, reason: 'the email matches one account and the username another; neither is changed' });
    } else {
      plan.updates.push({ row, number: target });
      keys.move(target, row);
    }
  }
  return plan;
}

/** Who holds each key, kept current as the plan assigns keys, so later rows see earlier ones. */
class KeyOwners {
  private readonly emails = new Map<string, number>();
  private readonly usernames = new Map<string, number>();
  private readonly held = new Map<number, { email: string | null; username: string | null }>();

  constructor(existing: readonly ExistingAccount[]) {
    for (const a of existing) {
      if (a.email_ci !== null) this.emails.set(a.email_ci, a.number);
      if (a.username_ci !== null) this.usernames.set(a.username_ci, a.number);
      this.held.set(a.number, { email: a.email_ci, username: a.username_ci });
    }
  }

  ownerOfEmail(key: string | null): number | undefined {
    return key === null ? undefined : this.emails.get(key);
  }

  ownerOfUsername(key: string | null): number | undefined {
    return key === null ? undefined : this.usernames.get(key);
  }

  claim(owner: number, row: ImportRow): void {
    if (row.emailCi !== null) this.emails.set(row.emailCi, owner);
    if (row.usernameCi !== null) this.usernames.set(row.usernameCi, owner);
  }

  /** An update replaces the keys the row gives; the ones it leaves out stay with the account. */
  move(owner: number, row: ImportRow): void {
    const held = this.held.get(owner) ?? { email: null, username: null };
    if (row.given & GIVEN.email) {
      if (held.email !== null) this.emails.delete(held.email);
      held.email = row.emailCi;
    }
    if (row.given & GIVEN.username) {
      if (held.username !== null) this.usernames.delete(held.username);
      held.username = row.usernameCi;
    }
    this.held.set(owner, held);
    this.claim(owner, row);
  }
}
