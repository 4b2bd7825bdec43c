// Example bodies of the users operations for the OpenAPI document (/docs), taken from the
// recorded run that docs/api/users.md shows; the test suite checks they still have the shape and
// the fixed values of what the server sends.
export const REGISTER_BODY = { username: 'erin', password1: 'maple-syrup-77', password2: 'maple-syrup-77' };
export const LOGIN_BODY = { username: 'erin', password: 'maple-syrup-77' };

export function answered(message: string): { id: number; username: string; message: string } {
  return { id: 1, username: 'erin', message };
}

export const AVATAR_UPDATED = { ...answered('Avatar updated.'), avatar_url: '/media/avatars/1/erin.png' };
export const INVALID_FIELDS = {
  errors: { username: ['A user with that username already exists.'], password2: ['This password is too common.', 'This password is entirely numeric.'] },
};
export const CSRF_FAILURE = { errors: 'CSRF verification failed. Request aborted.', reason: 'CSRF cookie not set.' };
