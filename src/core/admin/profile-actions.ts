// Staff edits and deletions of artist and collector profiles (admin.md §2.2, §3.3), shared by
// the UI and the JSON API, each audited with the owner as the target.
import type { AuditEventName } from '../audit.js';
import type { AdminDeps } from './deps.js';
import type { AuditPerson } from '../audit.js';
import { person } from '../accounts.js';
import type { Profile, ProfileFields } from '../profiles.js';
import { type Actor, type Changes, GONE, type AdminOutcome, invalidInput } from './outcomes.js';
import type { FormErrors } from '../django-forms.js';
import { PROFILE_KEYS, checkProfileEdit } from './profile-edit.js';

export class AdminProfileActions {
  constructor(private readonly ctx: AdminDeps) {}

  async update(actor: Actor, profile: Profile, input: ProfileFields, known: FormErrors = {}): Promise<AdminOutcome<{ profile: Profile }>> {
    const checked = checkProfileEdit(input, known);
    if (!checked.ok) return invalidInput(checked.errors);
    const changed: Changes = {};
    for (const key of PROFILE_KEYS) {
      const wanted = checked.fields[key];
      if (wanted !== undefined && wanted !== profile[key]) changed[key] = { old: profile[key], new: wanted };
    }
    if (!Object.keys(changed).length) return { ok: true, profile };
    const saved = await this.ctx.profiles.update(profile.kind, profile.id, checked.fields);
    if (!saved) return GONE;
    await this.audit(actor, 'admin.profile.update', saved, { kind: saved.kind, profile_id: saved.id, changed });
    return { ok: true, profile: saved };
  }

  async remove(actor: Actor, profile: Profile): Promise<AdminOutcome> {
    const owner = await this.owner(profile);
    if (!(await this.ctx.profiles.delete(profile.kind, profile.id))) return GONE;
    await this.ctx.audit.record({
      event: 'admin.profile.delete', meta: actor.meta, actor: person(actor.user), user: owner,
      details: { kind: profile.kind, profile_id: profile.id, bio: profile.bio, instagram: profile.instagram },
    });
    return { ok: true };
  }

  private async audit(actor: Actor, event: AuditEventName, profile: Profile, details: Record<string, unknown>): Promise<void> {
    await this.ctx.audit.record({ event, meta: actor.meta, actor: person(actor.user), user: await this.owner(profile), details });
  }

  // The owner's snapshot for the audit entry (the profile row knows only id and username).
  private async owner(profile: Profile): Promise<AuditPerson> {
    const user = await this.ctx.accounts.byId(profile.user_id);
    return user ? person(user) : { id: profile.user_id, email: null, username: profile.username };
  }
}
