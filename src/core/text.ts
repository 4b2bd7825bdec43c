// Text measured and trimmed the way the original Python backends did, for the core's own rules.

/** Length in characters (code points), as Python's len(). */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
