// Webhook secrets and signatures exactly as the Standard Webhooks specification gives them:
// the secret is `whsec_` + base64 of 32 random bytes; the signature is `v1,` + base64 of
// HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>", keyed with the decoded bytes.
// During a rotation both secrets sign, space separated, so receivers can switch at leisure.
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** The SecretKeys `info` under which endpoint secrets are sealed at rest. */
export const SECRET_SEAL_INFO = 'gatehouse/webhooks/endpoint-secret';

export function newWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

function keyBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}

export function sign(secret: string, msgId: string, timestampSec: number, body: string): string {
  const mac = createHmac('sha256', keyBytes(secret)).update(`${msgId}.${timestampSec}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/** The `webhook-signature` header: one signature per live secret, newest first. */
export function signatureHeader(secrets: readonly string[], msgId: string, timestampSec: number, body: string): string {
  return secrets.map((s) => sign(s, msgId, timestampSec, body)).join(' ');
}
