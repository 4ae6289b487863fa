// GET / HEAD / DELETE `/v2/<name>/blobs/<digest>`. A blob belongs to a
// repository when the repository links it (a blob key, or a manifest of its
// own); its bytes may be anywhere in the federation. HEAD answers from
// metadata alone; GET streams verified bytes (from this disk or while they are
// fetched from holders), whole or one Range.

import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import type { RouteContext, Request } from './context.js'
import { RegistryError } from './errors.js'
import { COMMON_HEADERS, parseRange, sendEmpty, type ByteRange } from './http.js'
import { blobKey, manifestKey } from './keys.js'
import { checkDigest } from './names.js'

/** The size of a blob linked to the repository, or BLOB_UNKNOWN. */
function linked (ctx: RouteContext, name: string, digest: string): number {
  const key = ctx.backend.getKey(blobKey(name, digest)) ?? ctx.backend.getKey(manifestKey(name, digest))
  if (key === undefined) throw RegistryError.blobUnknown(digest)
  return key.size
}

export async function getBlob (ctx: RouteContext, r: Request, name: string, digestText: string): Promise<void> {
  ctx.auth.check(r.req, 'reader')
  const digest = checkDigest(digestText)
  const size = linked(ctx, name, digest)
  const headers = { 'content-type': 'application/octet-stream', 'docker-content-digest': digest, 'accept-ranges': 'bytes', etag: `"${digest}"` }
  if (r.req.method === 'HEAD') {
    sendEmpty(r.res, 200, { ...headers, 'content-length': String(size) })
    return
  }
  await sendBlob(ctx, r, digest, size, parseRange(r.req.headers.range, size), headers)
}

export async function deleteBlob (ctx: RouteContext, r: Request, name: string, digestText: string): Promise<void> {
  ctx.auth.check(r.req, 'admin')
  const digest = checkDigest(digestText)
  const key = blobKey(name, digest)
  if (ctx.backend.getKey(key) === undefined) throw RegistryError.blobUnknown(digest)
  await ctx.backend.deleteKey(key)
  ctx.log('info', 'blob unlinked', { name, digest })
  sendEmpty(r.res, 202)
}

/**
 * Streams a blob (or a range) to the response. The backend either serves it
 * or throws before the first byte (then the client gets an error answer);
 * a failure after the headers cuts the connection, so a client never takes
 * a short body for a whole one.
 */
export async function sendBlob (ctx: RouteContext, r: Request, digest: string, size: number, range: ByteRange | undefined, headers: Record<string, string>): Promise<void> {
  const opened = await ctx.backend.openBlob(digest, range)
  if (opened.size !== size) ctx.log('warn', 'blob size differs from its key', { digest, key: size, blob: opened.size })
  const status = range === undefined ? 200 : 206
  const length = range === undefined ? size : range.end - range.start
  r.res.writeHead(status, {
    ...COMMON_HEADERS,
    ...headers,
    'content-length': String(length),
    ...(range === undefined ? {} : { 'content-range': `bytes ${range.start}-${range.end - 1}/${size}` })
  })
  try {
    await pipeline(Readable.from(opened.stream, { objectMode: false }), r.res)
  } catch (err) {
    ctx.log('debug', 'blob stream ended early', { digest, err })
    r.res.destroy()
  }
}
