/**
 * "Did you mean …?" for misspelled names (config keys): the nearest valid
 * name by edit distance, when it is near enough to be a plausible typo.
 */

/** Levenshtein distance (insert, delete, substitute), case-insensitive. */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The candidate nearest to `word`, if at most a third of its length (and at least 1 edit) away. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** "unknown key 'hiden' (did you mean 'hidden'?)", or the list of valid keys when none is near. */
export function unknownKeyMessage(key: string, valid: readonly string[]): string {
  const near = nearest(key, valid);
  return near ? `unknown key '${key}' (did you mean '${near}'?)` : `unknown key '${key}' (valid keys: ${[...valid].sort().join(', ')})`;
}

/** zod's "unrecognized_keys" issue as unknownKeyMessage, else zod's own message. */
export function zodIssueMessage(issue: { code: string; message: string; keys?: readonly string[] }, valid: readonly string[]): string {
  if (issue.code === 'unrecognized_keys' && issue.keys?.length) return unknownKeyMessage(issue.keys[0]!, valid);
  return issue.message;
}
