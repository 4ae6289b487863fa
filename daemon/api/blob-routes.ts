// The local API's blob routes (in the table of routes.ts):
//   GET /v1/blobs/<ref>                 BlobStatus: local state, bytes here, holders known
//   GET /v1/blobs/<ref>?locate=1        the same after asking connected members "do you have it"
//   GET /v1/blobs/<ref>/content?wait=S  the bytes, streamed (fetched from holders first if need be,
//                                       waiting up to S, a duration, default 60 s); headers
//                                       x-mycel-digest, x-mycel-cid, x-mycel-holders
//   HEAD the same                       the same headers, no body
// <ref> is a percent-encoded key, `sha256:<hex>` or a CID. Errors are JSON before any byte is sent:
// NOT_FOUND (no such key/digest), UNAVAILABLE with { digest, holders } (bytes not had within S).
// Content is HTTP-cacheable (byte-range.ts): ETag = the digest (If-None-Match → 304 without fetching),
// one Range → 206 (an unsatisfiable one → 416), and a digest- or CID-addressed URL is immutable
// (`Cache-Control: public, max-age=31536000, immutable`); a key may be overwritten, so its URL is
// `no-cache` (kept, but revalidated with the ETag).

import { open, type FileHandle } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { MycelError } from '../../protocol/errors.js'
import type { Event } from '../../protocol/event.js'
import { readsAsContentRef, type BlobService } from '../blob/service.js'
import { digestText } from '../blob/store.js'
import { etagOf, noneMatch, parseRange, rangeStillValid } from './byte-range.js'
import { BLOB_CHUNK_BYTES } from '../limits.js'
import { DEFAULT_FETCH_WAIT_S, MAX_FETCH_WAIT_S } from './contract.js'
import { parseDurationInRange } from '../../protocol/duration.js'
import { sendError, sendJson } from './errors.js'
import type { Route, RouteMatch } from './router.js'

export interface BlobRouteComponents {
  service: BlobService
  byKey: (key: string) => Event | undefined
}

/** The blob routes; `parts` is the running node's blob layer (it changes when the node switches federation). */
export function blobRoutes (parts: () => BlobRouteComponents): Route[] {
  return [
    { method: 'GET', path: /^\/v1\/blobs\/([^/]+)$/, auth: 'token', handle: async (_req, res, match) => { await blobStatus(parts(), res, match) } },
    { method: 'GET', path: /^\/v1\/blobs\/([^/]+)\/content$/, auth: 'token', handle: async (req, res, match) => { await blobContent(parts(), req, res, match) } }
  ]
}

/** The <ref> of a blob route: a key, `sha256:<hex>` or a CID. */
function refOf (match: RouteMatch): string {
  try {
    return decodeURIComponent(match.groups?.[1] ?? '')
  } catch {
    throw MycelError.usage('blob reference is not valid percent-encoding')
  }
}

async function blobStatus (c: BlobRouteComponents, res: ServerResponse, match: RouteMatch): Promise<void> {
  const target = await c.service.resolve(refOf(match), c.byKey)
  const status = match.url.searchParams.get('locate') === '1' ? await c.service.locate(target) : await c.service.status(target)
  sendJson(res, 200, status)
}

/** An immutable name (a digest or CID) may be cached for a year; a key may be overwritten: revalidate. */
const IMMUTABLE = 'public, max-age=31536000, immutable'
const REVALIDATE = 'no-cache'

async function blobContent (c: BlobRouteComponents, req: IncomingMessage, res: ServerResponse, match: RouteMatch): Promise<void> {
  const url = match.url
  const ref = refOf(match)
  const target = await c.service.resolve(ref, c.byKey)
  const etag = etagOf(digestText(target.digest))
  const cacheControl = readsAsContentRef(ref) ? IMMUTABLE : REVALIDATE
  if (noneMatch(header(req, 'if-none-match'), etag)) {
    // The client holds these very bytes: nothing to fetch or send.
    res.writeHead(304, { etag, 'cache-control': cacheControl })
    res.end()
    return
  }
  const waitS = parseWait(url.searchParams.get('wait'))
  await c.service.ensureLocal(target, waitS * 1000)
  // Opened before the headers go out: a blob collected meanwhile is a clean error, and an open file outlives a later unlink.
  const file = await open(c.service.pathOf(target.digest)).catch(err => {
    throw new MycelError('UNAVAILABLE', `the blob vanished before it could be sent: ${String(err)}`)
  })
  let streaming = false
  try {
    const { size } = await file.stat()
    const range = rangeStillValid(header(req, 'if-range'), etag) ? parseRange(header(req, 'range'), size) : undefined
    if (range === 'unsatisfiable') {
      sendError(res, 'USAGE', `range ${String(header(req, 'range'))} is outside the ${size} bytes of the blob`, 416, undefined, { 'content-range': `bytes */${size}`, etag })
      return
    }
    const status = await c.service.status(target)
    const start = range?.start ?? 0
    const end = range?.end ?? size - 1
    res.writeHead(range === undefined ? 200 : 206, {
      'content-type': 'application/octet-stream',
      'content-length': Math.max(0, end - start + 1),
      ...(range === undefined ? {} : { 'content-range': `bytes ${start}-${end}/${size}` }),
      'accept-ranges': 'bytes',
      etag,
      'cache-control': cacheControl,
      'x-mycel-digest': status.digest,
      'x-mycel-cid': status.cid,
      'x-mycel-holders': status.holders.join(',')
    })
    if (req.method === 'HEAD' || size === 0) {
      res.end()
      return
    }
    streaming = true
    await pipeline(streamOf(file, start, end), res)
  } finally {
    if (!streaming) await file.close()
    await c.service.afterServe(target).catch(() => {})
  }
}

/** The bytes start..end of an open blob (the stream closes the file when it ends or fails). */
function streamOf (file: FileHandle, start: number, end: number): NodeJS.ReadableStream {
  return file.createReadStream({ start, end, highWaterMark: BLOB_CHUNK_BYTES })
}

function header (req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/** `wait=`: a duration (protocol/duration.ts; a bare number is seconds), in seconds. */
function parseWait (text: string | null): number {
  if (text === null || text === '') return DEFAULT_FETCH_WAIT_S
  return parseDurationInRange(text, 'wait', 0, MAX_FETCH_WAIT_S * 1000) / 1000
}
