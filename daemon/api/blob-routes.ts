// The local API's blob routes (in the table of routes.ts):
//   GET /v1/blobs/<ref>                 BlobStatus: local state, bytes here, holders known
//   GET /v1/blobs/<ref>?locate=1        the same after asking connected members "do you have it"
//   GET /v1/blobs/<ref>?wait=S          the same once the bytes are here (fetched from holders if
//                                       need be), UNAVAILABLE with { digest, holders } after S
//   GET /v1/blobs/<ref>/content?wait=S  the bytes, streamed; bytes not here are fetched from holders
//                                       and sent as each chunk is verified (the first within S, a
//                                       duration, default 60 s); headers
//                                       x-mycel-digest, x-mycel-cid, x-mycel-holders
//   HEAD the same                       the same headers, no body
// <ref> is a percent-encoded key, `sha256:<hex>` or a CID. Errors are JSON before any byte is sent:
// NOT_FOUND (no such key/digest), UNAVAILABLE with { digest, holders } (bytes not had within S).
// Content is HTTP-cacheable (byte-range.ts): ETag = the digest (If-None-Match → 304 without fetching),
// one Range → 206 (an unsatisfiable one → 416), and a digest- or CID-addressed URL is immutable
// (`Cache-Control: public, max-age=31536000, immutable`); a key may be overwritten, so its URL is
// `no-cache` (kept, but revalidated with the ETag).

// The bytes are checked chunk by chunk against the blob's manifest as they are read (a copy rotted
// on disk is never served): a damaged first chunk is an UNAVAILABLE before any byte (the copy is
// removed and fetched again, within S if a holder has it, and then served); a damaged later chunk
// ends the response short of its content-length, so the client sees an error, not wrong bytes.

import { stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { MycelError } from '../../protocol/errors.js'
import type { Event } from '../../protocol/event.js'
import { isDamaged } from '../blob/chunk-check.js'
import { readsAsContentRef, type BlobService } from '../blob/service.js'
import { digestText } from '../blob/store.js'
import type { BlobStatus, BlobTarget } from '../blob/types.js'
import type { ByteSpan } from '../blob/verified-read.js'
import { etagOf, noneMatch, parseRange, rangeStillValid, type ByteRange } from './byte-range.js'
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
  // ?wait=S: the status once the bytes are here (fetched from holders if need be), UNAVAILABLE after S.
  const wait = match.url.searchParams.get('wait')
  if (wait !== null) await c.service.ensureLocal(target, parseWait(wait) * 1000)
  const status = match.url.searchParams.get('locate') === '1' ? await c.service.locate(target) : await c.service.status(target)
  // `mycel fetch` asks this before it copies the held file itself (cli/commands/held-copy.ts): a use.
  if (status.local === 'complete') c.service.noteRead(target.digest)
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
  const deadlineMs = Date.now() + waitS * 1000
  if (req.method !== 'HEAD' && target.size > 0 && !await c.service.has(target.digest)) {
    await streamWhileFetching(c, req, res, target, waitS * 1000, etag, cacheControl)
    return
  }
  await c.service.ensureLocal(target, waitS * 1000)
  // The size first (a Range is checked against it before any header goes out).
  const size = await stat(c.service.pathOf(target.digest)).then(st => st.size, err => {
    throw new MycelError('UNAVAILABLE', `the blob vanished before it could be sent: ${String(err)}`)
  })
  const wanted = wantedSpan(req, res, size, etag)
  if (wanted === undefined) return
  const { span } = wanted
  let opened = req.method === 'HEAD' || size === 0 ? undefined : await firstChunk(c.service, target, span)
  if (opened === 'damaged') {
    // The damaged copy is gone and being fetched again: wait for it within what is left of `wait`.
    await c.service.ensureLocal(target, Math.max(0, deadlineMs - Date.now()))
    opened = await firstChunk(c.service, target, span)
    if (opened === 'damaged') throw new MycelError('UNAVAILABLE', `the copy of ${digestText(target.digest)} here is damaged again; not served`)
  }
  writeContentHead(res, await c.service.status(target), wanted, size, etag, cacheControl)
  if (opened === undefined) {
    res.end()
    await c.service.afterServe(target).catch(() => {})
    return
  }
  const { first, rest } = opened
  try {
    if (first !== undefined) await write(res, first)
    for await (const chunk of rest) await write(res, chunk)
    res.end()
  } catch (err) {
    // A damaged chunk midway (or the client gone): the body stops short of content-length, which
    // every HTTP client reports as an error. Never the wrong bytes.
    res.destroy(err instanceof Error ? err : new Error(String(err)))
  } finally {
    await rest.return(undefined).catch(() => {}) // closes the file however the loop ended
    await c.service.afterServe(target).catch(() => {})
  }
}

/**
 * Bytes not here yet: they go out as the download verifies them (BlobService.stream), so the client's
 * copy and the fetch from holders overlap instead of one waiting for the other (#22: a 256 MiB `mycel
 * fetch` spent 1.6 s before its first byte). The size is the key's (the manifest is checked against it);
 * headers go out only once the first chunk is verified, so a blob that cannot be had within `wait` is
 * still a JSON UNAVAILABLE naming its holders. A fetch that fails midway ends the body short of its
 * content-length: the client sees an error, never wrong or missing bytes.
 */
async function streamWhileFetching (c: BlobRouteComponents, req: IncomingMessage, res: ServerResponse, target: BlobTarget, waitMs: number, etag: string, cacheControl: string): Promise<void> {
  const size = target.size
  const wanted = wantedSpan(req, res, size, etag)
  if (wanted === undefined) return
  const { span } = wanted
  const chunks = c.service.stream(target, waitMs, span)
  try {
    const first = await chunks.next()
    writeContentHead(res, await c.service.status(target), wanted, size, etag, cacheControl)
    try {
      if (first.done !== true) await write(res, first.value)
      for await (const chunk of chunks) await write(res, chunk)
      res.end()
    } catch (err) {
      res.destroy(err instanceof Error ? err : new Error(String(err)))
      return
    }
    // The last chunk can go out before the download has renamed the blob into place: let it finish,
    // so that afterServe sees a stored copy (and drops it where this site keeps none).
    await c.service.ensureLocal(target, waitMs).catch(() => {})
  } finally {
    await chunks.return(undefined).catch(() => {})
    await c.service.afterServe(target).catch(() => {})
  }
}

/**
 * The bytes a GET asks for: one Range (unless If-Range names another version) or all of them. An
 * unsatisfiable range is answered 416 here, and undefined returned.
 */
function wantedSpan (req: IncomingMessage, res: ServerResponse, size: number, etag: string): { range?: ByteRange, span: ByteSpan } | undefined {
  const range = rangeStillValid(header(req, 'if-range'), etag) ? parseRange(header(req, 'range'), size) : undefined
  if (range === 'unsatisfiable') {
    sendError(res, 'USAGE', `range ${String(header(req, 'range'))} is outside the ${size} bytes of the blob`, 416, undefined, { 'content-range': `bytes */${size}`, etag })
    return undefined
  }
  return { range, span: { start: range?.start ?? 0, end: range?.end ?? size - 1 } }
}

/** The status line and headers of a content answer: 200 or 206, the span's length, ETag, caching and the blob's names. */
function writeContentHead (res: ServerResponse, status: BlobStatus, wanted: { range?: ByteRange, span: ByteSpan }, size: number, etag: string, cacheControl: string): void {
  const { range, span } = wanted
  res.writeHead(range === undefined ? 200 : 206, {
    'content-type': 'application/octet-stream',
    'content-length': Math.max(0, span.end - span.start + 1),
    ...(range === undefined ? {} : { 'content-range': `bytes ${span.start}-${span.end}/${size}` }),
    'accept-ranges': 'bytes',
    etag,
    'cache-control': cacheControl,
    'x-mycel-digest': status.digest,
    'x-mycel-cid': status.cid,
    'x-mycel-holders': status.holders.join(',')
  })
}

function header (req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/**
 * The stored copy opened and its first chunk read and checked, before any header goes out; 'damaged'
 * if that chunk does not match (the blob layer has removed the copy and is fetching it again). A blob
 * collected meanwhile is UNAVAILABLE.
 */
async function firstChunk (service: BlobService, target: BlobTarget, span: ByteSpan): Promise<{ size: number, first?: Uint8Array, rest: AsyncGenerator<Uint8Array> } | 'damaged'> {
  try {
    const opened = await service.readVerified(target.digest, span)
    const first = await opened.chunks.next()
    return { size: opened.size, first: first.done === true ? undefined : first.value, rest: opened.chunks }
  } catch (err) {
    if (isDamaged(err)) return 'damaged'
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new MycelError('UNAVAILABLE', `the blob vanished before it could be sent: ${String(err)}`)
    throw err
  }
}

/** Writes one chunk, waiting while the client's socket is full; rejects if the client goes away meanwhile. */
async function write (res: ServerResponse, chunk: Uint8Array): Promise<void> {
  if (res.write(chunk)) return
  await new Promise<void>((resolve, reject) => {
    const drained = (): void => { res.off('close', closed); resolve() }
    const closed = (): void => { res.off('drain', drained); reject(new MycelError('CLOSED', 'the client went away')) }
    res.once('drain', drained)
    res.once('close', closed)
  })
}

/** `wait=`: a duration (protocol/duration.ts; a bare number is seconds), in seconds. */
function parseWait (text: string | null): number {
  if (text === null || text === '') return DEFAULT_FETCH_WAIT_S
  return parseDurationInRange(text, 'wait', 0, MAX_FETCH_WAIT_S * 1000) / 1000
}
