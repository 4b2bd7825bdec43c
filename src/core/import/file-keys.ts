// Rows of one file that name the same account (v1.md §0.6: email and username compared
// lower-cased): the first one counts, later ones are skipped. Held for the whole run, since a
// repeat can be anywhere in the file; a key is a short string, so a million rows cost tens of MB.
import type { ImportRow } from './types.js';

export type Locator = 'line' | 'element';

export class FileKeys {
  private readonly emails = new Map<string, number>();
  private readonly usernames = new Map<string, number>();

  /** `element` for JSON arrays, whose elements often share one line. */
  constructor(private readonly locator: Locator) {}

  /** null when the row is the first to name its email and username (they are now claimed); else why it is skipped. */
  claim(row: ImportRow): string | null {
    const byEmail = row.emailCi === null ? undefined : this.emails.get(row.emailCi);
    if (byEmail !== undefined) return `email repeats ${this.locator} ${byEmail} of this file`;
    const byUsername = row.usernameCi === null ? undefined : this.usernames.get(row.usernameCi);
    if (byUsername !== undefined) return `username repeats ${this.locator} ${byUsername} of this file`;
    const where = this.locator === 'element' ? row.record : row.line;
    if (row.emailCi !== null) this.emails.set(row.emailCi, where);
    if (row.usernameCi !== null) this.usernames.set(row.usernameCi, where);
    return null;
  }
}
