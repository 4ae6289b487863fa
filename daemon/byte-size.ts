// Sizes a person types: `--quota 50GiB`, `"quotaBytes": "800MB"`. A number (decimals allowed) with an
// optional unit: B; K, M, G, T (or KB, MB, GB, TB) are powers of 1000, as --max-upload-rate's K, M, G
// are (upload-rate.ts parseRate); KiB, MiB, GiB, TiB are powers of 1024. A bare number is bytes.
// Case-insensitive, spaces between number and unit allowed. The result is a whole number of bytes.

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3, kb: 1e3, kib: 2 ** 10,
  m: 1e6, mb: 1e6, mib: 2 ** 20,
  g: 1e9, gb: 1e9, gib: 2 ** 30,
  t: 1e12, tb: 1e12, tib: 2 ** 40
}

/** What errors name as the accepted form. */
export const BYTE_SIZE_HINT = 'a size such as 50GiB, 800MiB, 2TB or 1.5G (K, M, G, T = powers of 1000; KiB, MiB, GiB, TiB = powers of 1024; a bare number is bytes)'

/** `text` in whole bytes (rounded down), or undefined if it is not a size. */
export function parseByteSize (text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  if (m === null) return undefined
  const unit = UNITS[(m[2] as string).toLowerCase()]
  if (unit === undefined) return undefined
  const bytes = Math.floor(Number(m[1]) * unit)
  return Number.isSafeInteger(bytes) ? bytes : undefined
}
