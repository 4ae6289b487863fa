// Binary search in a sorted array of numbers or strings (JavaScript's `<` order), for the indexes
// that keep themselves sorted (author-log.ts, key-index.ts).

/** First index whose value is ≥ `x`. */
export function lowerBound<T extends number | string> (sorted: readonly T[], x: T): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid] < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** First index whose value is > `x`. */
export function upperBound<T extends number | string> (sorted: readonly T[], x: T): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid] <= x) lo = mid + 1
    else hi = mid
  }
  return lo
}
