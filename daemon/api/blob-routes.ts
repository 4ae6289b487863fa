// The local API's blob routes (in the table of routes.ts):
//   GET /v1/blobs/<ref>                 BlobStatus: local state, bytes here, holders known
//   GET /v1/blobs/<ref>?locate=1        the same after asking connected members "do you have it"
//   GET /v1/blobs/<ref>/content?wait=S  the bytes, streamed (fetched from holders first if need be,
//                                       waiting up to S seconds, default 60); headers x-mycel-digest,
//                                       x-mycel-cid, x-mycel-holders
// <ref> is a percent-encoded key, `sha256:<hex>` or a CID. Errors are JSON before any byte is sent:
// NOT_FOUND (no such key/digest), UNAVAILABLE with { digest, holders } (bytes not had within S).
// The bytes are checked chunk by chunk against the blob's manifest as they are read (a copy rotted
// on disk is never served): a damaged first chunk is an UNAVAILABLE before any byte (the copy is
// removed and fetched again, within S if a holder has it, and then served); a damaged later chunk
// ends the response short of its content-length, so the client sees an error, not wrong bytes.

import type { ServerResponse } from 'node:http'
import { MycelError } from '../../protocol/errors.js'
import type { Event } from '../../protocol/event.js'
import { isDamaged } from '../blob/chunk-check.js'
import type { BlobService } from '../blob/service.js'
import { digestText } from '../blob/store.js'
import type { BlobTarget } from '../blob/types.js'
import { DEFAULT_FETCH_WAIT_S } from './contract.js'
import { sendJson } from './errors.js'
import type { Route, RouteMatch } from './router.js'

const MAX_WAIT_S = 24 * 3600

export interface BlobRouteComponents {
  service: BlobService
  byKey: (key: string) => Event | undefined
}

/** The blob routes; `parts` is the running node's blob layer (it changes when the node switches federation). */
export function blobRoutes (parts: () => BlobRouteComponents): Route[] {
  return [
    { method: 'GET', path: /^\/v1\/blobs\/([^/]+)$/, auth: 'token', handle: async (_req, res, match) => { await blobStatus(parts(), res, match) } },
    { method: 'GET', path: /^\/v1\/blobs\/([^/]+)\/content$/, auth: 'token', handle: async (_req, res, match) => { await blobContent(parts(), res, match) } }
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

async function blobContent (c: BlobRouteComponents, res: ServerResponse, match: RouteMatch): Promise<void> {
  const url = match.url
  const target = await c.service.resolve(refOf(match), c.byKey)
  const waitS = parseWait(url.searchParams.get('wait'))
  const deadlineMs = Date.now() + waitS * 1000
  await c.service.ensureLocal(target, waitS * 1000)
  let opened = await firstChunk(c.service, target)
  if (opened === 'damaged') {
    // The damaged copy is gone and being fetched again: wait for it within what is left of `wait`.
    await c.service.ensureLocal(target, Math.max(0, deadlineMs - Date.now()))
    opened = await firstChunk(c.service, target)
    if (opened === 'damaged') throw new MycelError('UNAVAILABLE', `the copy of ${digestText(target.digest)} here is damaged again; not served`)
  }
  const { size, first, rest } = opened
  const status = await c.service.status(target)
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': size,
    'x-mycel-digest': status.digest,
    'x-mycel-cid': status.cid,
    'x-mycel-holders': status.holders.join(','),
    'cache-control': 'no-store'
  })
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
 * The stored copy opened and its first chunk read and checked, before any header goes out; 'damaged'
 * if that chunk does not match (the blob layer has removed the copy and is fetching it again). A blob
 * collected meanwhile is UNAVAILABLE.
 */
async function firstChunk (service: BlobService, target: BlobTarget): Promise<{ size: number, first?: Uint8Array, rest: AsyncGenerator<Uint8Array> } | 'damaged'> {
  try {
    const opened = await service.readVerified(target.digest)
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

function parseWait (text: string | null): number {
  if (text === null || text === '') return DEFAULT_FETCH_WAIT_S
  const s = Number(text)
  if (!Number.isFinite(s) || s < 0 || s > MAX_WAIT_S) throw MycelError.usage(`wait must be a number of seconds in 0..${MAX_WAIT_S}`)
  return s
}
