import { closest, distance } from 'fastest-levenshtein';

/** The nearest of `candidates` to a mistyped word, when it is near enough to be what was meant. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(word, [...candidates]);
  // Two edits catch a swapped pair (plna, --fromat); fewer for short words, where two is most of it.
  const limit = Math.min(2, Math.max(1, Math.floor(word.length / 2)));
  return distance(word, best) <= limit || (word.length >= 2 && best.startsWith(word)) ? best : undefined;
}
