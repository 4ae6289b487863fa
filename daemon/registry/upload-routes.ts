// The upload endpoints: POST `/v2/<name>/blobs/uploads/` (a session; with
// `?digest=` the whole blob in one request; with `?mount=&from=` a link to a
// blob another repository has), then PATCH (chunks, in order), GET (status),
// PUT `?digest=` (close, optionally with a last chunk) and DELETE (cancel) on
// the session's location. A committed blob is linked to the repository by a
// blob key before the client hears 201: from then on every site knows it, so
// a manifest naming it can be pushed anywhere in the federation.

import type { RouteContext, Request } from './context.js'
import { MAX_SMALL_BODY_BYTES } from './constants.js'
import { RegistryError } from './errors.js'
import { contentLength, discardBody, parseContentRange, queryOne, sendEmpty } from './http.js'
import { blobKey } from './keys.js'
import { checkDigest, checkRepoName } from './names.js'
import { blobPath, uploadPath } from './paths.js'
import { rangeHeader, type UploadSession } from './uploads.js'

export async function postUpload (ctx: RouteContext, r: Request, name: string): Promise<void> {
  ctx.auth.check(r.req, 'writer')
  const mount = queryOne(r.url, 'mount')
  const digestParam = queryOne(r.url, 'digest')
  if (mount !== undefined) {
    const digest = checkDigest(mount)
    if (await tryMount(ctx, name, digest, queryOne(r.url, 'from'))) {
      await discardBody(r.req, MAX_SMALL_BODY_BYTES)
      sendEmpty(r.res, 201, { location: blobPath(name, digest), 'docker-content-digest': digest })
      return
    }
    // Not mountable: an ordinary session, as the spec says (202), and the client uploads.
  }
  const algorithm = queryOne(r.url, 'digest-algorithm')
  if (algorithm !== undefined && algorithm !== 'sha256') throw RegistryError.digestInvalid(`unsupported digest algorithm ${algorithm.slice(0, 32)}: this registry takes sha256 only`)
  const expected = digestParam === undefined ? undefined : checkDigest(digestParam)
  const session = await ctx.uploads.open(name)
  if (expected !== undefined) {
    // Monolithic single POST: the body is the blob; a failed one leaves no session behind.
    try {
      await ctx.uploads.append(session, r.req, undefined, contentLength(r.req))
    } catch (err) {
      await ctx.uploads.cancel(session)
      throw err
    }
    await finish(ctx, r, session, expected)
    return
  }
  try {
    await discardBody(r.req, MAX_SMALL_BODY_BYTES)
  } catch (err) {
    await ctx.uploads.cancel(session)
    throw err
  }
  sendEmpty(r.res, 202, sessionHeaders(session))
}

export async function patchUpload (ctx: RouteContext, r: Request, name: string, id: string): Promise<void> {
  ctx.auth.check(r.req, 'writer')
  const session = ctx.uploads.get(name, id)
  await ctx.uploads.append(session, r.req, parseContentRange(r.req.headers['content-range']), contentLength(r.req))
  sendEmpty(r.res, 202, sessionHeaders(session))
}

export async function putUpload (ctx: RouteContext, r: Request, name: string, id: string): Promise<void> {
  ctx.auth.check(r.req, 'writer')
  const session = ctx.uploads.get(name, id)
  const digestParam = queryOne(r.url, 'digest')
  if (digestParam === undefined) throw RegistryError.digestInvalid('the closing PUT needs ?digest=<digest of the whole blob>')
  const digest = checkDigest(digestParam)
  await ctx.uploads.append(session, r.req, parseContentRange(r.req.headers['content-range']), contentLength(r.req))
  await finish(ctx, r, session, digest)
}

export async function getUpload (ctx: RouteContext, r: Request, name: string, id: string): Promise<void> {
  ctx.auth.check(r.req, 'writer')
  const session = ctx.uploads.get(name, id)
  sendEmpty(r.res, 204, sessionHeaders(session))
}

export async function deleteUpload (ctx: RouteContext, r: Request, name: string, id: string): Promise<void> {
  ctx.auth.check(r.req, 'writer')
  await ctx.uploads.cancel(ctx.uploads.get(name, id))
  sendEmpty(r.res, 204)
}

function sessionHeaders (session: UploadSession): Record<string, string> {
  return {
    location: uploadPath(session.name, session.id),
    range: rangeHeader(session.writer.size),
    'docker-upload-uuid': session.id
  }
}

async function finish (ctx: RouteContext, r: Request, session: UploadSession, expected: string): Promise<void> {
  const done = await ctx.uploads.finish(session, expected)
  if (!done.ok) {
    throw RegistryError.digestInvalid(`the uploaded bytes hash to ${done.digest}, not ${expected}; nothing was stored`, { expected, actual: done.digest })
  }
  await link(ctx, session.name, done.digest, done.size)
  ctx.log('debug', 'blob uploaded', { name: session.name, digest: done.digest, size: done.size })
  sendEmpty(r.res, 201, { location: blobPath(session.name, done.digest), 'docker-content-digest': done.digest })
}

/** Links a blob to a repository: the key every site reads. `at` refreshes the garbage grace (gc.ts) on every upload or mount. */
async function link (ctx: RouteContext, name: string, digest: string, size: number): Promise<void> {
  await ctx.backend.putKey(blobKey(name, digest), { digest, size, props: { at: String(ctx.now()) } })
}

/** Mounts from `from` when it links the blob (or, without `from`, when the federation knows it). */
async function tryMount (ctx: RouteContext, name: string, digest: string, from: string | undefined): Promise<boolean> {
  let size: number | undefined
  if (from !== undefined) {
    const source = ctx.backend.getKey(blobKey(checkRepoName(from), digest))
    size = source?.size
  } else {
    size = (await ctx.backend.statBlob(digest))?.size
  }
  if (size === undefined) return false
  await link(ctx, name, digest, size)
  ctx.log('debug', 'blob mounted', { name, digest, from })
  return true
}
