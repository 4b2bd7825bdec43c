// Event ids (events.md §1): `evt_` + 26 Crockford base32 characters, ULID layout: 48 bits of
// milliseconds, then 80 random bits. Ids sort by time as strings. Within one millisecond (or
// if the clock steps back) one generator increments the random part, so the ids it hands out
// never go backwards; two processes only share the time prefix, never the randomness.
import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const EVENT_ID_PATTERN = /^evt_[0-9A-HJKMNP-TV-Z]{26}$/;

function encodeTime(ms: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** 80 bits → 16 characters of 5 bits, most significant first. */
function encodeRandom(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** Adds one to a big-endian number; false when it overflowed (all bits were set). */
function increment(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i] < 255) {
      bytes[i]++;
      return true;
    }
    bytes[i] = 0;
  }
  return false;
}

/** One per outbox (no module state): monotonic within the process that owns it. */
export class EventIds {
  private lastMs = -1;
  private readonly random = new Uint8Array(10);

  next(nowMs: number): string {
    let ms = Math.floor(nowMs);
    if (ms <= this.lastMs) {
      ms = this.lastMs;
      if (!increment(this.random)) {
        ms += 1;
        this.random.set(randomBytes(10));
      }
    } else {
      this.random.set(randomBytes(10));
    }
    this.lastMs = ms;
    return `evt_${encodeTime(ms)}${encodeRandom(this.random)}`;
  }
}

/** The millisecond an id was minted in (replay and tests). */
export function eventIdTime(id: string): number {
  let ms = 0;
  for (const ch of id.slice(4, 14)) ms = ms * 32 + CROCKFORD.indexOf(ch);
  return ms;
}
