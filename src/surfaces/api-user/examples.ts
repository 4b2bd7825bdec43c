// Example bodies of the api-user operations for the OpenAPI document (/docs), taken from the
// recorded run that docs/api/api-user.md shows; the test suite checks they still have the shape
// and the fixed values of what the server sends.
const USER_ID = 'd5e9cef9-288d-4b5d-b5b4-04351a9862ba';
const ACCESS =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoxNzk2NTA5OTU4LCJpYXQiOjE3OTY0MjM1NTgsImp0aSI6ImNjMDQ2MWVjM2QyOGM5MmNhOWYxMjRlODFiNWM1NDU2IiwidXNlcl9pZCI6ImQ1ZTljZWY5LTI4OGQtNGI1ZC1iNWI0LTA0MzUxYTk4NjJiYSJ9.lufvSQAMwMckRa5Vh1kN1N_IJnfZwGmyvF1yfxaiLOA';
const REFRESH =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6MTc5OTAxNTU1OCwiaWF0IjoxNzk2NDIzNTU4LCJqdGkiOiIzNTA3NjQ1NTE2NzhiYTNmZWM1MTE3ZDMwNzQ4NThjNCIsInVzZXJfaWQiOiJkNWU5Y2VmOS0yODhkLTRiNWQtYjViNC0wNDM1MWE5ODYyYmEifQ.3B45ax9u5tdvlYDNRBF7S265lpeBfrN7isDpUJUiJHA';
const NEW_REFRESH =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6MTc5OTAxNTU1OCwiaWF0IjoxNzk2NDIzNTU4LCJqdGkiOiJkNzIxMDhjMThkNDBiYzI4NGM5MTEwYjc5ZmI2ZjM4YyIsInVzZXJfaWQiOiJkNWU5Y2VmOS0yODhkLTRiNWQtYjViNC0wNDM1MWE5ODYyYmEifQ.6A80oOEKQzrXfdfG5j8HzQUG2A9rj2GKED_4xscBeEA';

export const REGISTER_BODY = { email: 'bob@example.com', full_name: 'Bob Stone', password: 'correct horse battery' };
export const USER = { id: USER_ID, full_name: 'Bob Stone', email: 'bob@example.com', profile_pic: null };
export const LOGIN_BODY = { email: 'bob@example.com', password: 'correct horse battery' };
export const LOGIN = { tokens: { refresh: REFRESH, access: ACCESS }, data: USER };
export const UPDATE_BODY = { full_name: 'Bob J. Stone' };
export const UPDATED = { ...USER, full_name: 'Bob J. Stone' };
export const REFRESH_BODY = { refresh: REFRESH };
export const REFRESHED = { access: ACCESS, refresh: NEW_REFRESH };

export const INVALID = { email: ['Email address already exists.'], full_name: ['This field may not be blank.'], password: ['This field is required.'] };
export const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };
export const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' };
