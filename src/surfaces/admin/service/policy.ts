// The admin's two-factor policy in words (mfa.md §4, ADMIN_REQUIRE_MFA): the UI's 403 page and
// the API's {"detail": …} say the same. Whether it applies is the core's (AdminCore).
export const MFA_REQUIRED = 'Two-factor authentication is required for staff. Turn it on at /v1/user/mfa/.';
