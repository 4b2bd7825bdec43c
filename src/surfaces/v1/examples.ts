// Example bodies of the v1 operations for the OpenAPI document (/docs), taken from the recorded
// run that docs/api/v1.md shows; the test suite checks they still have the shape and the fixed
// values of what the server sends.
export const USER_ID = '77fad9b8-1c57-43de-aa2b-9ff555d1fc6e';
const KNOX_TOKEN = '203bb8d635e8c69540ee9c88c4f15e280e5fbadd5a608c3e27cc8c784f50f007';
const ACCESS =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoxNzk2NTU0MTY3LCJpYXQiOjE3OTY0MjQ1NjcsImp0aSI6IjVjZTNlOGVkYWUwMjdiNTcxNjQxN2Q1Nzc4NjFhOWNmIiwidXNlcl9pZCI6Ijc3ZmFkOWI4LTFjNTctNDNkZS1hYTJiLTlmZjU1NWQxZmM2ZSJ9.hi5uvaXh1HLGeC87ZJLwWcXt0EKGWuZy7OWBLqstx2M';
const REFRESH =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6MTc5NjUxMDk2NywiaWF0IjoxNzk2NDI0NTY3LCJqdGkiOiJiYzJjOGU0ODNiNmUyZGUyZTUwY2I5ZDExOTI5MjI0OSIsInVzZXJfaWQiOiI3N2ZhZDliOC0xYzU3LTQzZGUtYWEyYi05ZmY1NTVkMWZjNmUifQ.BZWbo7eeTAjnto-zXLujE30jz4MCQoqsLZFHunG0fDE';
const CREATED = '2026-12-04T22:49:26.955565Z';
const PASSWORD = 'Sunflower,42';

export const LOGIN_BODY = { email: 'ann@example.com', password: PASSWORD };
export const REGISTER_BODY = { email: 'ann@example.com', username: 'ann', password: PASSWORD, confirm_password: PASSWORD };
export const USER_SUMMARY = { id: USER_ID, email: 'ann@example.com', username: 'ann' };
export const KNOX_LOGIN = { ...USER_SUMMARY, token: KNOX_TOKEN };
export const JWT_LOGIN = { refresh: REFRESH, access: ACCESS, ...USER_SUMMARY, username: 'ann.lee' };
export const JWT_PAIR = { access: ACCESS, refresh: REFRESH };

export const ME = { id: USER_ID, email: 'ann@example.com', username: 'ann', email_verified: false, avatar: null, created: CREATED };
export const ME_UPDATE = { username: 'ann.lee' };
export const ME_UPDATED = { ...ME, username: 'ann.lee' };
export const AVATAR = { avatar: `http://localhost:8000/v1/user/media/${USER_ID}.png` };

export const PROFILE_BODY = { bio: 'Painter of large skies.', instagram: 'https://instagram.com/ann.paints' };
export const PROFILE = { id: '499ace8e-de79-430b-abcc-854221992f35', ...PROFILE_BODY, user: 'ann.lee' };
export const PROFILE_UPDATE = { bio: 'Painter of large skies and small boats.' };
export const PROFILE_UPDATED = { ...PROFILE, ...PROFILE_UPDATE };

export const SESSIONS = [
  { id: '20b54152-02b1-4eae-af9a-34e6c10e618a', kind: 'knox', created: '2026-12-04T22:49:27.209894Z', last_used: null, expires: '2026-12-05T08:49:27.209894Z', ip: '127.0.0.1', user_agent: 'ExampleApp/1.0', current: false },
  { id: 'ba297731-1eb1-447b-98b6-68c50e9144a1', kind: 'jwt', created: '2026-12-04T22:49:27.198825Z', last_used: '2026-12-04T22:49:27.206688Z', expires: '2026-12-05T22:49:27.000000Z', ip: '127.0.0.1', user_agent: 'ExampleApp/1.0', current: false },
  { id: 'c936de7e-df6c-448a-822a-341701a58357', kind: 'knox', created: '2026-12-04T22:49:27.020201Z', last_used: null, expires: '2026-12-05T08:49:27.020201Z', ip: '127.0.0.1', user_agent: 'ExampleApp/1.0', current: true },
];

export const PASSWORD_CHANGE_BODY = { old_password: PASSWORD, password: 'Sunflower,43', confirm_password: 'Sunflower,43' };
export const RESET_BODY = { email: 'ann@example.com' };
export const RESET_CONFIRM_BODY = { token: 'hddCLoGA-EBccbONoWfQ1HARHQHZZ-j03SvtntIl9v4', password: 'Daffodil,7', confirm_password: 'Daffodil,7' };
export const DELETE_BODY = { password: 'Daffodil,7' };

/** A validation that found three problems. */
export const INVALID = ['Email error. Enter a valid email address.', 'Username field is required.', 'Confirm_Password field is required.'];

// ---- Two-factor, passkeys and provider sign-in (the later part of the recorded run) ----
// A TOTP code, a passkey's credential and the recovery codes are fixed text in a recorded run:
// these must be the recorded ones (re-recording docs/api/examples/v1.json changes them).

export const MFA_STATUS = { totp: false, recovery_codes_left: 0, passkeys: 0 };
export const MFA_PASSWORD_BODY = { password: 'Daffodil,7' };
export const TOTP_ENROLMENT = {
  secret: 'GPRC4IGTYR5DY2AT7XTX6UDFMJWMQG2K',
  otpauth_url: 'otpauth://totp/Gatehouse:ann%40example.com?secret=GPRC4IGTYR5DY2AT7XTX6UDFMJWMQG2K&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30',
  qr_svg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 570 570">…</svg>',
};
export const TOTP_CONFIRM_BODY = {
  code: '766783',
};
export const RECOVERY_CODES = {
  recovery_codes: ['3qxm3-yjm7g', '7rsdh-ctqdw', '2kz29-5suxf', 'n4y3m-wfctk', 'fjs6c-xv8yf', 'dye9k-myg8f', 'aagyd-bpb9a', 'hgth9-u4f6a', '7z78c-ppttv', 'csa2a-333jy'],
};
export const TOTP_DISABLE_BODY = {
  password: 'Daffodil,7',
  code: 'ez52t-2mzgu',
};
export const MFA_LOGIN_BODY = {
  mfa_token: 'R3_bNzanv9fa7kOYl-qYlBECqesYdYMI4YfnKvPVHuI',
  code: '790281',
};
export const MFA_LOGIN = {
  id: 'd12a27de-066b-43b2-87d9-7b33c4bcdece',
  email: 'ann@example.com',
  username: 'ann.lee',
  token: 'ff0254983a3369d253f5ce967d570c39253c75fadb6286bd6af5da8a435fc011',
};

export const PASSKEY = {
  id: 'f94f48ff-29a1-4f6f-9e37-3e4b2e6245c9',
  name: 'Laptop',
  created: '2026-12-05T22:03:00.589300Z',
  last_used: null,
  transports: ['internal'],
  backed_up: false,
  device_type: 'single_device',
};
export const PASSKEY_CREATION_OPTIONS = {
  challenge: 'z3Xv9dKB1pdquvPp8IFYTyMLRy2l20chGWxmj3-NvmY',
  rp: {
    name: 'Gatehouse',
    id: 'localhost',
  },
  user: {
    id: '-dFB6jYzsmO8jZyR1IxkmGJcIJvC9xIB1KFsTwkE0xc',
    name: 'ann@example.com',
    displayName: 'ann@example.com',
  },
  pubKeyCredParams: [
    {
      type: 'public-key',
      alg: -7,
    },
    {
      type: 'public-key',
      alg: -8,
    },
    {
      type: 'public-key',
      alg: -257,
    },
  ],
  timeout: 300000,
  attestation: 'none',
  excludeCredentials: [],
  authenticatorSelection: {
    residentKey: 'required',
    userVerification: 'preferred',
  },
};
/** The software authenticator's credential of the recorded run, as both ceremonies send it. */
const RECORDED_CREDENTIAL = {
  authenticatorAttachment: 'platform',
  clientExtensionResults: {},
  id: '0GQ6vgTSl_Mbu4v7JtiReIPJUV-ZoCUTTu3fG0iODBg',
  rawId: '0GQ6vgTSl_Mbu4v7JtiReIPJUV-ZoCUTTu3fG0iODBg',
};
export const PASSKEY_REGISTRATION_BODY = {
  credential: {
    ...RECORDED_CREDENTIAL,
    response: {
      attestationObject: 'o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVikSZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2NFAAAAAQECAwQFBgcIAQIDBAUGBwgAINBkOr4E0pfzG7uL-ybYkXiDyVFfmaAlE07t3xtIjgwYpQECAyYgASFYIKpdszjE-g3bibcsGujdBT1lXR-DzMe_HNKtSyYQwCopIlggmxbJO0C1N5w03jmVnyuQs064_8Ekt07FddKNoIGNTbE',
      authenticatorData: 'SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2NFAAAAAQECAwQFBgcIAQIDBAUGBwgAINBkOr4E0pfzG7uL-ybYkXiDyVFfmaAlE07t3xtIjgwYpQECAyYgASFYIKpdszjE-g3bibcsGujdBT1lXR-DzMe_HNKtSyYQwCopIlggmxbJO0C1N5w03jmVnyuQs064_8Ekt07FddKNoIGNTbE',
      clientDataJSON: 'eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiejNYdjlkS0IxcGRxdXZQcDhJRllUeU1MUnkybDIwY2hHV3htajMtTnZtWSIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6ODAwMCIsImNyb3NzT3JpZ2luIjpmYWxzZX0',
      publicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEql2zOMT6DduJtywa6N0FPWVdH4PMx78c0q1LJhDAKimbFsk7QLU3nDTeOZWfK5CzTrj_wSS3TsV10o2ggY1NsQ',
      publicKeyAlgorithm: -7,
      transports: ['internal'],
    },
    type: 'public-key',
  },
  name: 'Laptop',
};
export const PASSKEY_RENAME_BODY = { name: 'Work laptop' };
export const PASSKEY_RENAMED = { ...PASSKEY, name: 'Work laptop' };
export const PASSKEY_LOGIN_OPTIONS = {
  challenge_id: '3-8thIihzYiFTEL888Kn1ohxTQTcyfAanagl7tmhZw4',
  options: {
    challenge: 'uAbiaNXdDJvfQqk_32q4qun6LgBMAnV7zpD_HfvO1kw',
    timeout: 300000,
    rpId: 'localhost',
    allowCredentials: [],
    userVerification: 'required',
  },
};
export const PASSKEY_LOGIN_BODY = {
  challenge_id: '3-8thIihzYiFTEL888Kn1ohxTQTcyfAanagl7tmhZw4',
  credential: {
    ...RECORDED_CREDENTIAL,
    response: {
      authenticatorData: 'SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAg',
      clientDataJSON: 'eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoidUFiaWFOWGRESnZmUXFrXzMycTRxdW42TGdCTUFuVjd6cERfSGZ2TzFrdyIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6ODAwMCIsImNyb3NzT3JpZ2luIjpmYWxzZSwib3RoZXJfa2V5c19jYW5fYmVfYWRkZWRfaGVyZSI6ImRvIG5vdCBjb21wYXJlIGNsaWVudERhdGFKU09OIGFnYWluc3QgYSB0ZW1wbGF0ZS4gU2VlIGh0dHBzOi8vZ29vLmdsL3lhYlBleCJ9',
      signature: 'MEUCIDVkPqT3Q499ran7lvWn5io1-Tv-dWPWu4mRsHJxuLicAiEAu5R_kdjxCPY4drWsfqdkKoGWak0sEBcP0aX-Yxmjgno',
      userHandle: '-dFB6jYzsmO8jZyR1IxkmGJcIJvC9xIB1KFsTwkE0xc',
    },
    type: 'public-key',
  },
};

export const OAUTH_PROVIDERS = [{ id: 'corp', name: 'Corp SSO' }];
export const OAUTH_LINK_BODY = { next: '/app/settings' };
export const OAUTH_LINK = {
  url: 'http://127.0.0.1:42807/auth?redirect_uri=http%3A%2F%2Flocalhost%3A8000%2Fv1%2Fuser%2Foauth%2Fcorp%2Fcallback%2F&scope=openid+email+profile&state=oYYgXaw_i_grcC6-dZX7df5fZY_YJx1bzKXcZXWj91U&nonce=P-zJ2htsuJ6NQ0rC6f5mXvpSt4JjWs4pTttkmjoEJJQ&code_challenge=zhq6oqNQCVWKS5fvSwefBx_yprxjalPUEXMeUt4ghFo&code_challenge_method=S256&client_id=gatehouse&response_type=code',
};
export const OAUTH_EXCHANGE_BODY = {
  login_code: 'YA9J1_kevuim51jisoyAoQPeln7H8wT_A_wM4ukGSgk',
};
export const OAUTH_LOGIN = {
  id: '931349cd-6980-4372-a27c-addd1f895aec',
  email: 'lee@corp.example',
  username: null,
  token: '8c353543e2d851fe25bd8de218c0e1a53f250ad6148386eda599dfcea302ba65',
};
export const IDENTITIES = [{
  id: '2e8697d9-ae90-46d0-93d4-e821a257a9f5',
  provider: 'corp',
  email: 'lee@corp.example',
  created: '2026-12-05T22:03:00.889893Z',
  last_used: '2026-12-05T22:03:00.889893Z',
}];
