// The event model (events.md §1): a closed list of types, the user snapshot, and the envelope
// `{"type", "timestamp", "data"}` that is both the webhook body and the AMQP message body.
import type { User } from '../accounts.js';
import { isoMicros, nowMicros } from '../time.js';

/** Every type a core action may record; receivers subscribe to these (or to `*`). */
export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deleted',
  'user.email_verified',
  'user.password_changed',
  'user.locked',
  'session.created',
  'session.revoked',
  'security.token_reuse',
  'mfa.enabled',
  'mfa.disabled',
  'passkey.added',
  'passkey.removed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Sent by the admin's "test" action to one endpoint; never recorded by a core action. */
export const TEST_EVENT_TYPE = 'webhook.test';

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/** The user fields an event carries, as they are after the change (before it, for a deletion). */
export type SnapshotSource = Pick<User, 'id' | 'number' | 'email' | 'username' | 'full_name' | 'email_verified' | 'is_active' | 'is_staff'>;

export interface UserSnapshot {
  id: string;
  number: number;
  email: string | null;
  username: string | null;
  full_name: string;
  email_verified: boolean;
  is_active: boolean;
  is_staff: boolean;
}

export function userSnapshot(u: SnapshotSource): UserSnapshot {
  return {
    id: u.id,
    number: u.number,
    email: u.email,
    username: u.username,
    full_name: u.full_name,
    email_verified: u.email_verified === 1,
    is_active: u.is_active === 1,
    is_staff: u.is_staff === 1,
  };
}

/**
 * What a core action hands to `Outbox.record`: the type, the user row, and the few extra fields
 * its type carries (events.md §1 table). Times are microseconds, shown as ISO timestamps.
 */
export type EventInput =
  | { type: 'user.created'; user: SnapshotSource; surface: string }
  | { type: 'user.updated'; user: SnapshotSource; changed: readonly string[] }
  | { type: 'user.deleted'; user: SnapshotSource }
  | { type: 'user.email_verified'; user: SnapshotSource }
  | { type: 'user.password_changed'; user: SnapshotSource; via: 'change' | 'reset' | 'admin' }
  | { type: 'user.locked'; user: SnapshotSource; until: number }
  | { type: 'session.created'; user: SnapshotSource; surface: string; method: string }
  | { type: 'session.revoked'; user: SnapshotSource; reason: string }
  | { type: 'security.token_reuse'; user: SnapshotSource; loginId: string }
  | { type: 'mfa.enabled' | 'mfa.disabled' | 'passkey.added' | 'passkey.removed'; user: SnapshotSource };

/** `data` of the envelope: the snapshot first, then what the type adds. */
export function eventData(e: EventInput): Record<string, unknown> {
  const data: Record<string, unknown> = { user: userSnapshot(e.user) };
  switch (e.type) {
    case 'user.created':
      data.surface = e.surface;
      break;
    case 'user.updated':
      data.changed = [...e.changed];
      break;
    case 'user.password_changed':
      data.via = e.via;
      break;
    case 'user.locked':
      data.until = isoMicros(e.until);
      break;
    case 'session.created':
      data.surface = e.surface;
      data.method = e.method;
      break;
    case 'session.revoked':
      data.reason = e.reason;
      break;
    case 'security.token_reuse':
      data.login_id = e.loginId;
      break;
    default:
      break;
  }
  return data;
}

/**
 * The body exactly as every receiver gets it, serialised once when the event is recorded, so
 * every attempt (and the AMQP message) signs and sends the same bytes.
 */
export function envelopeBody(type: string, occurredMicros: number, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp: isoMicros(occurredMicros), data });
}

/** Microseconds since the epoch. Injected so tests can move time without waiting hours. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: nowMicros };

/** The pino-compatible subset the background parts log through (no Fastify import in core). */
export interface EventLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLog: EventLog = { info() {}, warn() {}, error() {} };
