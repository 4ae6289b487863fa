// Small HTTP pieces the routes share: reading a bounded body, the Range and
// Content-Range grammars, query parameters, and answers (JSON, empty, errors).
// Nothing here knows about images.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { RegistryError } from './errors.js'

/** Headers every answer carries (clients probe the API version on /v2/). */
export const COMMON_HEADERS: Readonly<Record<string, string>> = { 'docker-distribution-api-version': 'registry/2.0' }

/** Reads a whole body of at most `limit` bytes; more is refused as `tooLarge()` before it is all read. */
export async function readBody (req: IncomingMessage, limit: number, tooLarge: () => Error): Promise<Buffer> {
  const declared = contentLength(req)
  if (declared !== undefined && declared > limit) throw tooLarge()
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    if (size > limit) throw tooLarge()
    parts.push(chunk)
  }
  return Buffer.concat(parts, size)
}

/** Content-Length as a number, undefined when absent; malformed is SIZE_INVALID. */
export function contentLength (req: IncomingMessage): number | undefined {
  const header = req.headers['content-length']
  if (header === undefined) return undefined
  if (!/^\d{1,15}$/.test(header)) throw RegistryError.sizeInvalid(`malformed Content-Length ${JSON.stringify(header.slice(0, 40))}`)
  return Number(header)
}

/** Drains a body nobody wants, so the connection can be reused; bounded. */
export async function discardBody (req: IncomingMessage, limit: number): Promise<void> {
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    if (size > limit) throw RegistryError.sizeInvalid(`unexpected request body over ${limit} bytes`, 413)
  }
}

export interface ByteRange { start: number, end: number } // end exclusive

/**
 * A `Range: bytes=…` header against a blob of `size` bytes (RFC 9110 §14):
 * undefined to serve the whole blob (no header, several ranges, another
 * unit), a range, or 416 when it cannot be satisfied.
 */
export function parseRange (header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (m === null) return undefined
  const [, first, last] = m
  const unsatisfiable = (): RegistryError => new RegistryError('SIZE_INVALID', `range ${header} not satisfiable for ${size} bytes`, { status: 416, headers: { 'content-range': `bytes */${size}` } })
  if (first === '' && last === '') return undefined
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0 || size === 0) throw unsatisfiable()
    return { start: Math.max(0, size - suffix), end: size }
  }
  const start = Number(first)
  const end = last === '' ? size : Math.min(size, Number(last) + 1)
  if (start >= size || (last !== '' && Number(last) < start)) throw unsatisfiable()
  return { start, end }
}

/** `Content-Range: <start>-<end>` of an upload chunk (inclusive both ends; the spec's form, also with a `bytes ` prefix and `/total`). */
export function parseContentRange (header: string | undefined): { start: number, end: number } | undefined {
  if (header === undefined) return undefined
  const m = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d{1,15}|\*))?$/.exec(header.trim())
  if (m === null) throw RegistryError.uploadInvalid(`malformed Content-Range ${JSON.stringify(header.slice(0, 60))}: expected <start>-<end>`, 416)
  const start = Number(m[1])
  const end = Number(m[2])
  if (end < start) throw RegistryError.uploadInvalid(`Content-Range ${header}: end before start`, 416)
  return { start, end }
}

/** A query parameter given at most once. */
export function queryOne (url: URL, name: string): string | undefined {
  const all = url.searchParams.getAll(name)
  if (all.length > 1) throw new RegistryError('UNSUPPORTED', `query parameter ${name} given ${all.length} times`, { status: 400 })
  return all[0]
}

export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers })
  res.end(text)
}

export function sendEmpty (res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-length': '0', ...headers })
  res.end()
}
