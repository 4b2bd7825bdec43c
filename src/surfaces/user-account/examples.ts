// Example bodies of the user-account operations for the OpenAPI document (/docs), taken from the
// recorded run that docs/api/user-account.md shows; the test suite checks they still have the
// shape and the fixed values of what the server sends.
const TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJmcmVzaCI6ZmFsc2UsImlhdCI6MTc5NjQyNDQ2NiwianRpIjoiYzgzZjY4NTUtNTQwZC00YmMxLThjN2YtMTIxMjA1Mjk2MTliIiwidHlwZSI6ImFjY2VzcyIsInN1YiI6MSwibmJmIjoxNzk2NDI0NDY2LCJjc3JmIjoiM2YzYmE5YTgtMGM0Ny00ZDA3LWI2OWUtYjIzYTEyN2I1ZjEwIiwiZXhwIjoxNzk2NDI4MDY2fQ.wDaTDoLXCPLCFoSaN0ZZwZhllVut2iRtk47c2o9bpck';

export const REGISTRATION_BODY = { username: 'frank', full_name: 'Frank Moreau', email: 'frank.moreau@example.com', pwd: 'blue-heron-5', phone: '+33612345678', contacts: 'telegram: @frankm' };
export const LOGIN_BODY = { username: 'frank', pwd: 'blue-heron-5' };
export const LOGIN = { msg: 'login successful', token: TOKEN };
export const PROFILE_SETTINGS = {
  contacts: 'telegram: @frankm',
  email: 'f******u@example.com',
  full_name: 'Frank Moreau',
  is_email_verified: true,
  phone: '+33612345678',
  pwd: '********',
  username: 'frank',
};
export const RESET_REQUEST_BODY = { username: 'frank' };
export const NEW_PASSWORD_BODY = { new_pwd: 'grey-heron-6' };
