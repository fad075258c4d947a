/**
 * Levenshtein distance with transpositions (optimal string alignment): the
 * edits a typo makes, where swapping two neighbours (`imgae`) counts as one.
 * Stops as soon as the distance must exceed `max` (then it answers `max + 1`):
 * thousands of names, each compared with thousands of references, stay cheap.
 */
export function editDistance(a: string, b: string, max = Math.max(a.length, b.length)): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  // Three rows of the table: two back (for transpositions), the one above, the current one.
  let before = new Uint32Array(b.length + 1);
  let above = new Uint32Array(b.length + 1);
  let row = new Uint32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) above[j] = j;
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    let least = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      row[j] = best;
      least = Math.min(least, best);
    }
    // Every later row is at least this row's least: past `max` already, it cannot come back.
    if (least > max) return max + 1;
    [before, above, row] = [above, row, before];
  }
  return Math.min(above[b.length]!, max + 1);
}

/**
 * The candidate closest to `value`, when it is close enough to be a likely
 * typo: the same but for case, or one edit per three characters (none for
 * names shorter than three, where anything would look close).
 */
export function closest(value: string, candidates: Iterable<string>): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === value) continue;
    const allowed = Math.floor(candidate.length / 3);
    const distance = candidate.toLowerCase() === value.toLowerCase() ? 0 : editDistance(value, candidate, allowed);
    if (distance <= allowed && (!best || distance < best.distance)) {
      best = { candidate, distance };
    }
  }
  return best?.candidate;
}

/** `; did you mean `x`?` when a candidate is close, else nothing. */
export function didYouMean(value: string, candidates: Iterable<string>): string {
  const suggestion = closest(value, candidates);
  return suggestion === undefined ? '' : `; did you mean \`${suggestion}\`?`;
}
