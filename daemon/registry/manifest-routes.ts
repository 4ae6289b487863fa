// GET / HEAD / PUT / DELETE `/v2/<name>/manifests/<tag-or-digest>`.
//
// A PUT is taken when every blob the manifest references is linked to the
// repository in the federation's metadata (a blob key), not on this disk:
// layers uploaded at site A make a manifest PUT at site B succeed the moment
// their keys have replicated. The manifest's bytes become a blob, then its key
// (with what it references, manifest-record.ts), its referrers index key, and
// last its tags, so a site that sees a tag can resolve it. HEAD answers from
// metadata; GET streams the bytes, fetched from holders when need be.

import type { RouteContext, Request } from './context.js'
import { MAX_MANIFEST_BYTES, MAX_TAGS_PER_PUT } from './constants.js'
import { RegistryError } from './errors.js'
import { readBody, sendEmpty } from './http.js'
import { blobKey, manifestKey, referrerKey, tagKey, tagsPrefix } from './keys.js'
import { parseManifest, requiredBlobs, type ParsedManifest } from './manifest.js'
import { recordOf, recordToProps, recordFromProps } from './manifest-record.js'
import { isTag, parseReference } from './names.js'
import { manifestPath } from './paths.js'
import { sendBlob } from './blob-routes.js'

interface Resolved { digest: string, size: number, mediaType: string }

/** A tag or digest → the manifest, from metadata; MANIFEST_UNKNOWN when the repository has no such manifest. */
export function resolveManifest (ctx: RouteContext, name: string, reference: string): Resolved {
  const ref = parseReference(reference)
  if (ref.kind === 'tag') {
    const tag = ctx.backend.getKey(tagKey(name, ref.tag))
    if (tag === undefined) throw RegistryError.manifestUnknown(reference)
    return { digest: tag.digest, size: tag.size, mediaType: tag.props.mediaType ?? '' }
  }
  const m = ctx.backend.getKey(manifestKey(name, ref.digest))
  if (m === undefined) throw RegistryError.manifestUnknown(reference)
  return { digest: m.digest, size: m.size, mediaType: m.props.mediaType ?? '' }
}

export async function getManifest (ctx: RouteContext, r: Request, name: string, reference: string): Promise<void> {
  ctx.auth.check(r.req, 'reader')
  const m = resolveManifest(ctx, name, reference)
  const headers = { 'content-type': m.mediaType, 'docker-content-digest': m.digest, etag: `"${m.digest}"` }
  if (r.req.method === 'HEAD') {
    sendEmpty(r.res, 200, { ...headers, 'content-length': String(m.size) })
    return
  }
  await sendBlob(ctx, r, m.digest, m.size, undefined, headers)
}

export async function putManifest (ctx: RouteContext, r: Request, name: string, reference: string): Promise<void> {
  ctx.auth.check(r.req, 'writer')
  const ref = parseReference(reference)
  const extraTags = r.url.searchParams.getAll('tag')
  if (extraTags.length > MAX_TAGS_PER_PUT) throw new RegistryError('UNSUPPORTED', `at most ${MAX_TAGS_PER_PUT} tag parameters per request`, { status: 414 })
  for (const t of extraTags) if (!isTag(t)) throw RegistryError.manifestInvalid(`invalid tag ${JSON.stringify(t.slice(0, 140))}`)
  const body = await readBody(r.req, MAX_MANIFEST_BYTES, () => RegistryError.manifestInvalid(`over the limit of ${MAX_MANIFEST_BYTES} bytes`, 413))
  const m = parseManifest(body, r.req.headers['content-type'], ref.kind === 'digest' ? ref.digest : undefined)
  checkReferences(ctx, name, m)
  await storeManifest(ctx, name, m, body)
  const tags = [...(ref.kind === 'tag' ? [ref.tag] : []), ...extraTags]
  for (const tag of tags) await setTag(ctx, name, tag, m)
  const headers: Record<string, string> = { location: manifestPath(name, m.digest), 'docker-content-digest': m.digest }
  if (m.subject !== undefined) headers['oci-subject'] = m.subject.digest
  if (extraTags.length > 0) headers['oci-tag'] = extraTags.join(', ')
  ctx.log('info', 'manifest pushed', { name, digest: m.digest, tags })
  sendEmpty(r.res, 201, headers)
}

export async function deleteManifest (ctx: RouteContext, r: Request, name: string, reference: string): Promise<void> {
  ctx.auth.check(r.req, 'admin')
  const ref = parseReference(reference)
  if (ref.kind === 'tag') {
    if (ctx.backend.getKey(tagKey(name, ref.tag)) === undefined) throw RegistryError.manifestUnknown(reference)
    await ctx.backend.deleteKey(tagKey(name, ref.tag))
    ctx.log('info', 'tag deleted', { name, tag: ref.tag })
    sendEmpty(r.res, 202)
    return
  }
  const key = manifestKey(name, ref.digest)
  const m = ctx.backend.getKey(key)
  if (m === undefined) throw RegistryError.manifestUnknown(reference)
  // Tags first, then the referrers entry, then the manifest: a site that sees a tag can still resolve it.
  for (const tag of tagsNaming(ctx, name, ref.digest)) await ctx.backend.deleteKey(tagKey(name, tag))
  const subject = recordFromProps(m.props).subject
  if (subject !== undefined) await ctx.backend.deleteKey(referrerKey(name, subject, ref.digest))
  await ctx.backend.deleteKey(key)
  ctx.log('info', 'manifest deleted', { name, digest: ref.digest })
  sendEmpty(r.res, 202)
}

/** Every referenced blob must be linked to the repository (and every child manifest stored in it), with the size the descriptor says. */
function checkReferences (ctx: RouteContext, name: string, m: ParsedManifest): void {
  const missing: string[] = []
  for (const d of requiredBlobs(m)) {
    // A config or layer is a blob key; an artifact may also reference a manifest of the repository as a blob.
    checkOne(ctx.backend.getKey(blobKey(name, d.digest)) ?? ctx.backend.getKey(manifestKey(name, d.digest)), d, missing)
  }
  for (const d of m.manifests) checkOne(ctx.backend.getKey(manifestKey(name, d.digest)), d, missing)
  if (missing.length > 0) {
    throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest references ${missing.length === 1 ? 'a blob' : `${missing.length} blobs`} unknown to the repository ${name}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`, { detail: { digests: missing } })
  }
}

function checkOne (known: { size: number } | undefined, d: { digest: string, size: number }, missing: string[]): void {
  if (known === undefined) {
    missing.push(d.digest)
    return
  }
  if (known.size !== d.size) throw RegistryError.manifestInvalid(`the descriptor of ${d.digest} says ${d.size} bytes; the blob has ${known.size}`)
}

async function storeManifest (ctx: RouteContext, name: string, m: ParsedManifest, body: Uint8Array): Promise<void> {
  const writer = await ctx.backend.beginBlob({ maxBytes: MAX_MANIFEST_BYTES })
  try {
    await writer.write(body)
    const done = await writer.commit(m.digest)
    if (!done.ok) throw new Error(`the backend stored the manifest as ${done.digest}, not ${m.digest}`)
  } finally {
    await writer.abort()
  }
  const record = recordOf(m)
  const props = recordToProps(record)
  const key = manifestKey(name, m.digest)
  if (!sameValue(ctx.backend.getKey(key), m.digest, props)) await ctx.backend.putKey(key, { digest: m.digest, size: m.size, props })
  if (m.subject !== undefined) {
    const rprops: Record<string, string> = { mediaType: record.mediaType }
    if (record.artifactType !== undefined) rprops.artifactType = record.artifactType
    if (record.annotations !== undefined) rprops.annotations = record.annotations
    if (record.annotationsInBody) rprops.annotationsInBody = '1'
    const rkey = referrerKey(name, m.subject.digest, m.digest)
    if (!sameValue(ctx.backend.getKey(rkey), m.digest, rprops)) await ctx.backend.putKey(rkey, { digest: m.digest, size: m.size, props: rprops })
  }
}

async function setTag (ctx: RouteContext, name: string, tag: string, m: ParsedManifest): Promise<void> {
  const key = tagKey(name, tag)
  const props = { mediaType: m.mediaType }
  if (sameValue(ctx.backend.getKey(key), m.digest, props)) return // an event per re-push of the same image would be noise
  await ctx.backend.putKey(key, { digest: m.digest, size: m.size, props })
}

function sameValue (current: { digest: string, props: Record<string, string> } | undefined, digest: string, props: Record<string, string>): boolean {
  if (current === undefined || current.digest !== digest) return false
  const a = Object.entries(current.props).sort()
  const b = Object.entries(props).sort()
  return JSON.stringify(a) === JSON.stringify(b)
}

/** The tags of `name` that name `digest` (every page of them). */
function tagsNaming (ctx: RouteContext, name: string, digest: string): string[] {
  const prefix = tagsPrefix(name)
  const out: string[] = []
  let after: string | undefined
  for (;;) {
    const page = ctx.backend.listKeys(prefix, { ...(after === undefined ? {} : { after }), limit: 1000 })
    for (const e of page) if (e.digest === digest) out.push(e.key.slice(prefix.length))
    if (page.length < 1000) return out
    after = page[page.length - 1].key
  }
}
