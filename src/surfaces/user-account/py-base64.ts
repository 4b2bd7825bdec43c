// PyJWT's base64url_decode, byte for byte: pad to a multiple of 4 by the input's length, map
// `-_` to `+/`, then CPython's non-strict binascii.a2b_base64. Characters outside the alphabet
// are skipped, `=` ends the data once a quad has two or more characters, and a quad left with
// one, two or three characters is "Incorrect padding" (null here), which PyJWT reports as
// "Invalid header/payload/crypto padding".

const TABLE = new Int8Array(256).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((ch, i) => {
  TABLE[ch.charCodeAt(0)] = i;
});
// urlsafe_b64decode translates these before decoding, so both alphabets are accepted.
TABLE['-'.charCodeAt(0)] = 62;
TABLE['_'.charCodeAt(0)] = 63;

const PAD = 0x3d; // '='

export function base64urlDecode(input: Uint8Array): Buffer | null {
  const rem = input.length % 4;
  const data = rem > 0 ? Buffer.concat([input, Buffer.alloc(4 - rem, PAD)]) : input;
  return a2bBase64(data);
}

function a2bBase64(data: Uint8Array): Buffer | null {
  const out = Buffer.alloc(Math.floor((data.length * 3) / 4) + 3);
  let n = 0;
  let quadPos = 0;
  let left = 0;
  let pads = 0;
  for (let i = 0; i < data.length; i++) {
    const ch = data[i];
    if (ch === PAD) {
      // As in CPython: a pad only counts once the quad holds two characters.
      if (quadPos >= 2 && quadPos + ++pads >= 4) return out.subarray(0, n);
      continue;
    }
    const v = TABLE[ch];
    if (v < 0) continue;
    pads = 0;
    switch (quadPos) {
      case 0:
        left = v;
        quadPos = 1;
        break;
      case 1:
        out[n++] = (left << 2) | (v >> 4);
        left = v & 0x0f;
        quadPos = 2;
        break;
      case 2:
        out[n++] = (left << 4) | (v >> 2);
        left = v & 0x03;
        quadPos = 3;
        break;
      default:
        out[n++] = (left << 6) | v;
        left = 0;
        quadPos = 0;
    }
  }
  return quadPos === 0 ? out.subarray(0, n) : null;
}
