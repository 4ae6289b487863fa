// The local API's blob routes (in the table of routes.ts):
//   GET /v1/blobs/<ref>                 BlobStatus: local state, bytes here, holders known
//   GET /v1/blobs/<ref>?locate=1        the same after asking connected members "do you have it"
//   GET /v1/blobs/<ref>/content?wait=S  the bytes, streamed (fetched from holders first if need be,
//                                       waiting up to S seconds, default 60); headers x-mycel-digest,
//                                       x-mycel-cid, x-mycel-holders
// <ref> is a percent-encoded key, `sha256:<hex>` or a CID. Errors are JSON before any byte is sent:
// NOT_FOUND (no such key/digest), UNAVAILABLE with { digest, holders } (bytes not had within S).

import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { MycelError } from '../../protocol/errors.js'
import type { Event } from '../../protocol/event.js'
import type { BlobService } from '../blob/service.js'
import { BLOB_CHUNK_BYTES } from '../limits.js'
import { DEFAULT_FETCH_WAIT_S, MAX_FETCH_WAIT_S } from './contract.js'
import { parseDurationInRange } from '../../protocol/duration.js'
import { sendJson } from './errors.js'
import type { Route, RouteMatch } from './router.js'

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
  await c.service.ensureLocal(target, waitS * 1000)
  const path = c.service.pathOf(target.digest)
  // Opened before the headers go out: a blob collected meanwhile is a clean error, and an open file outlives a later unlink.
  const file = createReadStream(path, { highWaterMark: BLOB_CHUNK_BYTES })
  await new Promise<void>((resolve, reject) => { file.once('open', () => { resolve() }); file.once('error', reject) }).catch(err => {
    throw new MycelError('UNAVAILABLE', `the blob vanished before it could be sent: ${String(err)}`)
  })
  const { size } = await stat(path)
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
    await pipeline(file, res)
  } finally {
    await c.service.afterServe(target).catch(() => {})
  }
}

/** `wait=`: a duration (protocol/duration.ts; a bare number is seconds), in seconds. */
function parseWait (text: string | null): number {
  if (text === null || text === '') return DEFAULT_FETCH_WAIT_S
  return parseDurationInRange(text, 'wait', 0, MAX_FETCH_WAIT_S * 1000) / 1000
}
