// Every fixed answer and message of the `users` surface (users.md), written once.
import type { User } from '../../core/accounts.js';
import type { FormErrors } from '../../core/django-forms.js';
import type { GenericReply } from '../../http/surface.js';

/** The messages of this surface alone; those it shares with the admin's forms are FORM_WORDS. */
export const MSG = {
  usernameInvalid: 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
  fileEmpty: 'The submitted file is empty.',
  notAnImage: 'Upload a valid image. The file you uploaded was either not an image or a corrupted image.',
  fileTooBig: 'File size exceeds the limit 3.0 MB.',
} as const;

export function filenameTooLongMessage(max: number, length: number): string {
  return `Ensure this filename has at most ${max} characters (it has ${length}).`;
}

/** Django's FileExtensionValidator words, with its curly quotes around the extension. */
export function extensionMessage(ext: string, allowed: readonly string[]): string {
  return `File extension \u201c${ext}\u201d is not allowed. Allowed extensions are: ${allowed.join(', ')}.`;
}

const reply = (status: number, body: unknown): GenericReply => Object.freeze({ status, body });

export const REPLY = {
  notFound: reply(404, { error: 'Page not found.' }),
  tooLarge: reply(413, { errors: 'Request body too large.' }),
  internal: reply(500, { error: 'Internal server error.' }),
  badRequest: reply(400, { error: 'Bad request.' }),
  unavailable: Object.freeze({ status: 503, body: { error: 'Service temporarily unavailable.' }, headers: { 'Retry-After': '5' } }) as GenericReply,
  invalidJson: reply(400, { errors: 'Invalid JSON input.' }),
  alreadyAuthenticated: reply(400, { errors: 'User is already authenticated.' }),
  credentialsRequired: reply(401, { errors: 'Username and password are required.' }),
  unknownUsername: reply(401, { errors: 'Username does not exist.' }),
  invalidPassword: reply(401, { errors: 'Invalid password.' }),
  locked: reply(403, { error: 'Locked out due to too many login failures.' }),
  notAuthenticated: reply(401, { errors: 'User is not authenticated.' }),
  noFile: reply(400, { errors: 'No file uploaded.' }),
  /** 405: an empty body; the route mechanism adds `Allow`. */
  methodNotAllowed: reply(405, undefined),
} as const;

/** The 403 of users.md §1.3, naming the failed check. */
export function csrfRefusal(reason: string): GenericReply {
  return { status: 403, body: { errors: 'CSRF verification failed. Request aborted.', reason } };
}

/** 400 `{"errors": {"<field>": [...]}}`. */
export function errorsByField(errors: FormErrors): GenericReply {
  return { status: 400, body: { errors } };
}

/** `{"id", "username", "message"}`: the success shape of every account endpoint here. */
export function userMessage(user: Pick<User, 'number' | 'username'>, message: string, extra: Record<string, string> = {}): Record<string, unknown> {
  return { id: user.number, username: user.username, message, ...extra };
}
