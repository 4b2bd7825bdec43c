// Ids in v1 paths are parsed as Python's uuid.UUID(str) did (v1.md §4): every `urn:` and
// `uuid:` removed, `{`/`}` stripped from both ends, every `-` removed; what is left must be 32
// hex digits in any case. The result is the canonical lower-case form.
const HEX32 = /^[0-9a-fA-F]{32}$/;

export function parseUuid(text: string): string | null {
  const hex = text.replaceAll('urn:', '').replaceAll('uuid:', '').replace(/^[{}]+|[{}]+$/g, '').replaceAll('-', '');
  if (!HEX32.test(hex)) return null;
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
