// The local API's blob routes (mounted by daemon/api/routes.ts):
//   GET /v1/blobs/<ref>                 BlobStatus: local state, bytes here, holders known
//   GET /v1/blobs/<ref>?locate=1        the same after asking connected members "do you have it"
//   GET /v1/blobs/<ref>/content?wait=S  the bytes, streamed (fetched from holders first if need be,
//                                       waiting up to S seconds, default 60); headers x-mycel-digest,
//                                       x-mycel-cid, x-mycel-holders
// <ref> is a percent-encoded key, `sha256:<hex>` or a CID. Errors are JSON before any byte is sent:
// NOT_FOUND (no such key/digest), UNAVAILABLE with { digest, holders } (bytes not had within S).

import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { MycelError } from '../../protocol/errors.js'
import type { Event } from '../../protocol/event.js'
import { sendJson } from './errors.js'
import { BLOB_CHUNK_BYTES } from '../limits.js'
import { DEFAULT_FETCH_WAIT_S } from '../blob/constants.js'
import type { BlobService } from '../blob/service.js'

const MAX_WAIT_S = 24 * 3600

export interface BlobRouteComponents {
  service: BlobService
  byKey: (key: string) => Event | undefined
}

export async function routeBlob (c: BlobRouteComponents, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const rest = url.pathname.slice('/v1/blobs/'.length).split('/')
  const [encoded, sub] = rest
  if (req.method !== 'GET' || encoded === undefined || encoded === '' || rest.length > 2 || (sub !== undefined && sub !== 'content')) {
    throw new MycelError('NOT_FOUND', `no route ${req.method ?? ''} ${url.pathname}`)
  }
  let ref: string
  try {
    ref = decodeURIComponent(encoded)
  } catch {
    throw MycelError.usage('blob reference is not valid percent-encoding')
  }
  const target = await c.service.resolve(ref, c.byKey)
  if (sub === undefined) {
    const status = url.searchParams.get('locate') === '1' ? await c.service.locate(target) : await c.service.status(target)
    return sendJson(res, 200, status)
  }
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

function parseWait (text: string | null): number {
  if (text === null || text === '') return DEFAULT_FETCH_WAIT_S
  const s = Number(text)
  if (!Number.isFinite(s) || s < 0 || s > MAX_WAIT_S) throw MycelError.usage(`wait must be a number of seconds in 0..${MAX_WAIT_S}`)
  return s
}
