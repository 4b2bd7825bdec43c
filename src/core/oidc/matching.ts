// Which account a provider identity signs into (social.md §3), rule by rule and in order:
// 1. a link flow links the identity to the caller (or finds it is someone else's);
// 2. an identity already linked signs its user in;
// 3. a verified provider address that matches an account links to it only when the account's
//    own address is verified too, else `account_exists`: an address someone typed but never
//    proved must not let a provider take the account over;
// 4. otherwise a new user, without username or usable password.
// Every write that can race (the identity's pair, a new user's email) is decided by a unique
// index; a lost race starts the rules again, which then find what the winner wrote.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Accounts, User } from '../accounts.js';
import { person } from '../accounts.js';
import type { Audit, RequestMeta } from '../audit.js';
import type { Mailer } from '../mail.js';
import { renderMail } from '../mail-templates.js';
import type { Metrics } from '../metrics.js';
import type { Outbox } from '../events/outbox.js';
import type { ProviderClaims } from './claims.js';
import type { Identities } from './identities.js';

export type MatchOutcome =
  | { ok: true; action: 'signed_in'; user: User; created: boolean }
  | { ok: true; action: 'linked'; user: User }
  | { ok: false; reason: 'account_exists' | 'identity_in_use' | 'inactive'; user: User | null };

export interface MatchInput {
  provider: { id: string; name: string };
  claims: ProviderClaims;
  /** The user who asked to link (§2.3), or null for a sign-in. */
  linkUser: number | null;
  meta: RequestMeta;
}

export interface MatchingDeps {
  db: Kysely<Database>;
  accounts: Accounts;
  identities: Identities;
  audit: Audit;
  mailer: Mailer;
  metrics: Metrics;
  /** A user made by a sign-in gets its `user.created` event in the creating transaction. */
  outbox: Outbox;
}

/** A lost race needs one more pass to see the winner's row; more than a few means a bug. */
const MAX_PASSES = 3;

class LostRace extends Error {}

export class AccountMatcher {
  constructor(private readonly d: MatchingDeps) {}

  async match(input: MatchInput): Promise<MatchOutcome> {
    for (let pass = 1; ; pass++) {
      const outcome = input.linkUser !== null ? await this.linkToCaller(input, input.linkUser) : await this.signIn(input);
      if (outcome !== 'retry') return outcome;
      if (pass >= MAX_PASSES) throw new Error('provider identity matching did not settle');
    }
  }

  /** Rule 1. */
  private async linkToCaller(input: MatchInput, userNumber: number): Promise<MatchOutcome | 'retry'> {
    const { provider, claims } = input;
    const user = await this.d.accounts.byNumber(userNumber);
    if (!user || user.is_active !== 1) return { ok: false, reason: 'inactive', user: user ?? null };
    const existing = await this.d.identities.find(provider.id, claims.sub);
    if (existing) {
      if (existing.user_number !== userNumber) return { ok: false, reason: 'identity_in_use', user };
      await this.d.identities.touch(existing.id, claims.email);
      return { ok: true, action: 'linked', user };
    }
    const linked = await this.d.identities.insert(user.number, provider.id, claims.sub, claims.email);
    if (!linked.ok) return 'retry';
    await this.d.audit.record({ event: 'oauth.link', meta: input.meta, actor: person(user), user: person(user), details: { provider: provider.id, via: 'request' } });
    return { ok: true, action: 'linked', user };
  }

  /** Rules 2 to 4. */
  private async signIn(input: MatchInput): Promise<MatchOutcome | 'retry'> {
    const { provider, claims } = input;
    const existing = await this.d.identities.find(provider.id, claims.sub);
    if (existing) {
      const user = await this.d.accounts.byNumber(existing.user_number);
      if (!user) return 'retry'; // deleted meanwhile: its identities went with it
      if (user.is_active !== 1) return { ok: false, reason: 'inactive', user };
      await this.d.identities.touch(existing.id, claims.email);
      return { ok: true, action: 'signed_in', user, created: false };
    }

    const holder = claims.email !== null ? await this.d.accounts.byEmail(claims.email) : undefined;
    if (holder && claims.emailVerified) {
      if (holder.email_verified !== 1) return { ok: false, reason: 'account_exists', user: holder };
      if (holder.is_active !== 1) return { ok: false, reason: 'inactive', user: holder };
      const linked = await this.d.identities.insert(holder.number, provider.id, claims.sub, claims.email);
      if (!linked.ok) return 'retry';
      await this.d.audit.record({ event: 'oauth.link', meta: input.meta, user: person(holder), details: { provider: provider.id, via: 'email' } });
      this.linkedNotice(holder, provider.name);
      return { ok: true, action: 'signed_in', user: holder, created: false };
    }

    // Rule 4: the address only when the provider verified it and nobody has it.
    const email = claims.emailVerified && !holder ? claims.email : null;
    let user: User;
    try {
      user = await this.d.db.transaction().execute(async (trx) => {
        const created = await this.d.accounts.create({ email, emailVerified: email !== null, fullName: claims.name, username: null, password: null }, trx);
        if (!created.ok) throw new LostRace();
        const linked = await this.d.identities.insert(created.user.number, provider.id, claims.sub, claims.email, trx);
        if (!linked.ok) throw new LostRace();
        await this.d.audit.record({ event: 'user.register', meta: input.meta, user: person(created.user), details: { method: 'oauth', provider: provider.id } }, trx);
        await this.d.outbox.record(trx, { type: 'user.created', user: created.user, surface: input.meta.surface });
        return created.user;
      });
    } catch (err) {
      if (err instanceof LostRace) return 'retry';
      throw err;
    }
    return { ok: true, action: 'signed_in', user, created: true };
  }

  /** Rule 3's notice, so the owner learns of a new way into the account. */
  private linkedNotice(user: User, providerName: string): void {
    if (!user.email) return;
    const name = user.full_name || user.username;
    const { text, html } = renderMail({
      greeting: name ? `Hello ${name},` : 'Hello,',
      paragraphs: [
        `A ${providerName} sign-in was linked to your account, because ${providerName} confirmed your email address. You can now sign in with ${providerName}.`,
      ],
      footer: 'If you did not do this, remove the sign-in from your account and contact the administrator.',
    });
    this.d.mailer.send({ to: user.email, subject: `A ${providerName} sign-in was linked to your account`, text, html });
    this.d.metrics.mails.inc({ purpose: 'oauth-linked' });
  }
}
