// The conditional and partial parts of serving blob bytes over HTTP (RFC 9110): one `Range: bytes=…`
// against the blob's size, `If-None-Match` and `If-Range` against its ETag. A blob's ETag is its digest,
// so it names the bytes for good; a digest-addressed URL can be cached forever.

/** A satisfiable range: the first and last byte to send (inclusive, as Content-Range writes them). */
export interface ByteRange { start: number, end: number }

/**
 * `undefined`: send everything (no header, several ranges, another unit or a malformed header, all of
 * which RFC 9110 lets a server ignore); 'unsatisfiable': 416; else the one range to send.
 */
export function parseRange (header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (m === null) return undefined
  const [, first, last] = m as unknown as [string, string, string]
  if (first === '' && last === '') return undefined
  if (first === '') {
    // A suffix: the last N bytes.
    const n = Number(last)
    if (n === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (last !== '' && Number(last) < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end }
}

/** The strong ETag of a blob: its digest text, quoted. */
export function etagOf (digestText: string): string {
  return `"${digestText}"`
}

/** If-None-Match lists `etag` (weak comparison, as RFC 9110 asks for this header) or is `*`. */
export function noneMatch (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header.split(',').map(t => t.trim().replace(/^W\//, '')).some(t => t === '*' || t === etag)
}

/** If-Range allows the range: absent, or the very ETag (strong comparison; a date is not one, so no). */
export function rangeStillValid (header: string | undefined, etag: string): boolean {
  return header === undefined || header.trim() === etag
}
