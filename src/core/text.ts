// Text measured and trimmed the way the original Python backends did, for the core's own rules.

/** Length in characters (code points), as Python's len(). */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Python's str.strip(): whitespace, plus the file/group/record/unit separators Python also strips. */
export function pyStrip(s: string): string {
  // eslint-disable-next-line no-control-regex -- Python also strips the file/group/record/unit separators
  return s.replace(/^[\s\u001c-\u001f\u0085]+|[\s\u001c-\u001f\u0085]+$/gu, '');
}
