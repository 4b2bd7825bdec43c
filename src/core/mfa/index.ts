// Two-factor authentication (mfa.md), everything of it that is not HTTP. One object per app:
//   mfa.enrolment   status, start, confirm, disable, recovery codes, admin reset, counts (§2, §4)
//   mfa.challenges  the second login step: afterPassword / issue, complete (§3)
// The route layer parses fields, checks passwords, turns result reasons into each surface's
// words and issues credentials; the rules live here.
import { Counter } from 'prom-client';
import { RecoveryCodeDigests } from './codes.js';
import { FactorCodes } from './factor.js';
import { MfaChallenges } from './challenge.js';
import { MfaEnrolment } from './enrolment.js';
import { MfaNotices } from './notices.js';
import type { MfaDeps } from './types.js';

export { MFA_METHODS, CHALLENGE_TTL_MICROS, MAX_WRONG_CODES } from './challenge.js';
export type { ChallengeContext, ChallengeKind, CompletedStep, CompleteOptions, IssuedChallenge, PasswordStepOutcome, SecondStepOutcome } from './challenge.js';
export { PENDING_TTL_MICROS } from './enrolment.js';
export type { ConfirmOutcome, DisableOutcome, MfaStatus, RecoveryCodesOutcome, ResetOptions, ResetOutcome, StartOutcome } from './enrolment.js';
export type { CodeMethod } from './factor.js';
export { MFA_SUBJECTS } from './notices.js';
export type { AdminOptions, MfaDeps, MfaUser, OperationOptions, Within } from './types.js';

const EVENTS_METRIC = 'gatehouse_mfa_events_total';

export class Mfa {
  readonly enrolment: MfaEnrolment;
  readonly challenges: MfaChallenges;

  constructor(deps: MfaDeps) {
    const factor = new FactorCodes(deps.secrets, new RecoveryCodeDigests(deps.secrets));
    const notices = new MfaNotices(deps.mailer, deps.metrics);
    // Registered on the app's own registry; a second Mfa on the same registry shares the series.
    const registry = deps.metrics.registry;
    const events =
      (registry.getSingleMetric(EVENTS_METRIC) as Counter<'event'> | undefined) ??
      new Counter({ name: EVENTS_METRIC, help: 'Two-factor events: enable, disable, recovery_codes, recovery_code_used, admin_reset, challenge', labelNames: ['event'], registers: [registry] });
    const count = (event: string) => events.inc({ event });
    this.enrolment = new MfaEnrolment(deps, factor, notices, count);
    this.challenges = new MfaChallenges(deps, factor, notices, count);
  }
}
