// Reading a pushed manifest: JSON of one of the four known media types, its
// descriptors well formed, its digest the reference's when pushed by digest.
// The result lists what the manifest references (blobs, child manifests, its
// subject) so the route can check that they exist in the federation and the
// record can carry them in metadata. Pure: bytes in, ParsedManifest or
// RegistryError out.

import { createHash } from 'node:crypto'
import { MAX_MANIFEST_BYTES, MAX_MANIFEST_REFS, MAX_MEDIA_TYPE_CHARS } from './constants.js'
import { RegistryError } from './errors.js'
import { bareMediaType, isForeignLayer, manifestKind, type ManifestKind } from './media-types.js'

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  /** Present on layers served from elsewhere (foreign layers); such layers are not required to exist. */
  urls?: string[]
  artifactType?: string
  annotations?: Record<string, string>
}

export interface ParsedManifest {
  mediaType: string
  kind: ManifestKind
  digest: string
  size: number
  /** config and layers (image manifests); empty for indexes. */
  blobs: Descriptor[]
  /** child manifests (indexes); empty for image manifests. */
  manifests: Descriptor[]
  subject?: Descriptor
  /** As the referrers API shows it: the manifest's artifactType, else (image manifests) its config's media type. */
  artifactType?: string
  annotations?: Record<string, string>
}

const DESCRIPTOR_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/

export function sha256Digest (bytes: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex')
}

/**
 * Validates `body` pushed with `contentType`; `expectedDigest` is the
 * reference when it is a digest. Throws MANIFEST_INVALID (or DIGEST_INVALID,
 * or 413 for size) with a message saying what is wrong.
 */
export function parseManifest (body: Uint8Array, contentType: string | undefined, expectedDigest?: string): ParsedManifest {
  if (body.byteLength > MAX_MANIFEST_BYTES) throw RegistryError.manifestInvalid(`${body.byteLength} bytes, over the limit of ${MAX_MANIFEST_BYTES}`, 413)
  const digest = sha256Digest(body)
  if (expectedDigest !== undefined && digest !== expectedDigest) {
    throw RegistryError.digestInvalid(`the manifest's digest is ${digest}, not ${expectedDigest}`, { expected: expectedDigest, actual: digest })
  }
  const json = parseJson(body)
  const mediaType = mediaTypeOf(json, bareMediaType(contentType))
  const kind = manifestKind(mediaType)
  if (kind === undefined) throw RegistryError.manifestInvalid(`unsupported media type ${JSON.stringify(mediaType.slice(0, 200))}`)
  if (json.schemaVersion !== 2) throw RegistryError.manifestInvalid('schemaVersion must be 2')
  const parsed: ParsedManifest = { mediaType, kind, digest, size: body.byteLength, blobs: [], manifests: [] }
  if (kind === 'image') {
    const config = descriptor(json.config, 'config')
    if (!Array.isArray(json.layers)) throw RegistryError.manifestInvalid('layers must be an array')
    parsed.blobs = [config, ...json.layers.map((layer, i) => descriptor(layer, `layers[${i}]`))]
  } else {
    if (!Array.isArray(json.manifests)) throw RegistryError.manifestInvalid('manifests must be an array')
    parsed.manifests = json.manifests.map((child, i) => descriptor(child, `manifests[${i}]`))
  }
  const refs = parsed.blobs.length + parsed.manifests.length
  if (refs > MAX_MANIFEST_REFS) throw RegistryError.manifestInvalid(`${refs} descriptors, over this registry's limit of ${MAX_MANIFEST_REFS}`)
  if (json.subject !== undefined) parsed.subject = descriptor(json.subject, 'subject')
  if (json.artifactType !== undefined) {
    if (!isMediaType(json.artifactType)) throw RegistryError.manifestInvalid(`artifactType must be a media type of at most ${MAX_MEDIA_TYPE_CHARS} characters`)
    parsed.artifactType = json.artifactType
  } else if (kind === 'image') {
    parsed.artifactType = parsed.blobs[0].mediaType
  }
  if (json.annotations !== undefined) parsed.annotations = annotations(json.annotations, 'annotations')
  return parsed
}

/** Descriptors that must exist in the repository for the manifest to be taken. */
export function requiredBlobs (m: ParsedManifest): Descriptor[] {
  return m.blobs.filter(d => d.urls === undefined && !isForeignLayer(d.mediaType))
}

function parseJson (body: Uint8Array): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(body).toString('utf8'))
  } catch (err) {
    throw RegistryError.manifestInvalid(`not JSON (${(err as Error).message.slice(0, 120)})`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw RegistryError.manifestInvalid('not a JSON object')
  return value as Record<string, unknown>
}

/** The body's mediaType field when present (the Content-Type must then agree), else the Content-Type. */
function mediaTypeOf (json: Record<string, unknown>, header: string | undefined): string {
  const field = json.mediaType
  if (field !== undefined) {
    if (typeof field !== 'string') throw RegistryError.manifestInvalid('mediaType must be a string')
    if (header !== undefined && manifestKind(header) !== undefined && header !== field) {
      throw RegistryError.manifestInvalid(`Content-Type ${header} does not match the manifest's mediaType ${field}`)
    }
    return field
  }
  if (header === undefined) throw RegistryError.manifestInvalid('no mediaType field and no Content-Type')
  return header
}

function descriptor (value: unknown, where: string): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw RegistryError.manifestInvalid(`${where} must be a descriptor object`)
  const d = value as Record<string, unknown>
  if (!isMediaType(d.mediaType)) throw RegistryError.manifestInvalid(`${where}.mediaType must be a media type of at most ${MAX_MEDIA_TYPE_CHARS} characters`)
  if (typeof d.digest !== 'string' || !DESCRIPTOR_DIGEST.test(d.digest)) throw RegistryError.manifestInvalid(`${where}.digest is not a digest`)
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw RegistryError.manifestInvalid(`${where}.size must be a non-negative integer`)
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size }
  if (d.urls !== undefined) {
    if (!Array.isArray(d.urls) || !d.urls.every(u => typeof u === 'string')) throw RegistryError.manifestInvalid(`${where}.urls must be an array of strings`)
    out.urls = d.urls as string[]
  }
  if (d.artifactType !== undefined) {
    if (!isMediaType(d.artifactType)) throw RegistryError.manifestInvalid(`${where}.artifactType must be a media type`)
    out.artifactType = d.artifactType
  }
  if (d.annotations !== undefined) out.annotations = annotations(d.annotations, `${where}.annotations`)
  return out
}

/** RFC 6838: type and subtype of at most 127 characters each; we only bound the length and need a slash. */
function isMediaType (value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_MEDIA_TYPE_CHARS && /^[^/\s]+\/[^/\s]+$/.test(value)
}

function annotations (value: unknown, where: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw RegistryError.manifestInvalid(`${where} must be an object`)
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw RegistryError.manifestInvalid(`${where}[${JSON.stringify(k.slice(0, 60))}] must be a string`)
    out[k] = v
  }
  return out
}
