// A version's record in its key's props: the manifest npm sent (its
// package.json plus npm's fields, minus the readme and the dist npm computed),
// in chunks of at most MANIFEST_CHUNK_BYTES (a prop value is ≤ 1024 bytes),
// and the facts this site checked at publish: the tarball's sha-512 integrity
// and sha-1 shasum, and the publish time. Every site rebuilds the same
// manifest from these, with no blob to fetch: metadata is everywhere.

import { MANIFEST_CHUNK_BYTES, MAX_MANIFEST_BYTES } from './constants.js'
import { NpmError } from './errors.js'

export type Manifest = Record<string, unknown>

export interface VersionFacts {
  integrity: string
  shasum: string
  /** ISO time of the publish, at the publishing site. */
  published: string
}

const CHUNK_PREFIX = 'm.'
/** A version unpublished: its key names the empty blob and carries only this. */
const UNPUBLISHED = 'unpublished'

/** Fields npm keeps out of a version's manifest, or that this registry recomputes. */
const DROPPED = new Set(['readme', 'readmeFilename', '_attachments', 'dist', '_rev'])

export function encodeVersion (manifest: Manifest, facts: VersionFacts, dist: Record<string, unknown>): Record<string, string> {
  const kept: Manifest = {}
  for (const [k, v] of Object.entries(manifest)) if (!DROPPED.has(k)) kept[k] = v
  // dist fields npm adds beyond the hashes (fileCount, unpackedSize, signatures) stay; the tarball URL is the serving site's.
  const extra: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(dist)) if (k !== 'tarball' && k !== 'shasum' && k !== 'integrity') extra[k] = v
  if (Object.keys(extra).length > 0) kept.dist = extra
  const text = JSON.stringify(kept)
  const bytes = Buffer.byteLength(text)
  if (bytes > MAX_MANIFEST_BYTES) {
    throw NpmError.tooLarge(`the manifest of ${String(manifest.name)}@${String(manifest.version)} is ${bytes} bytes without its readme; this registry keeps at most ${MAX_MANIFEST_BYTES} (docs/npm.md)`)
  }
  const props: Record<string, string> = { integrity: facts.integrity, shasum: facts.shasum, published: facts.published }
  chunks(text).forEach((c, i) => { props[`${CHUNK_PREFIX}${String(i).padStart(2, '0')}`] = c })
  return props
}

export type StoredVersion =
  | { kind: 'published', manifest: Manifest, facts: VersionFacts }
  | { kind: 'unpublished', at: string }

/** A version key's props back into its record; undefined when they are not one this registry wrote. */
export function decodeVersion (props: Record<string, string>): StoredVersion | undefined {
  const at = props[UNPUBLISHED]
  if (at !== undefined) return { kind: 'unpublished', at }
  const { integrity, shasum, published } = props
  if (integrity === undefined || shasum === undefined || published === undefined) return undefined
  const parts = Object.keys(props).filter(k => k.startsWith(CHUNK_PREFIX)).sort()
  try {
    const manifest = JSON.parse(parts.map(k => props[k]).join('')) as unknown
    if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) return undefined
    return { kind: 'published', manifest: manifest as Manifest, facts: { integrity, shasum, published } }
  } catch {
    return undefined
  }
}

/** Whether a version key's props are an unpublish marker. */
export function isUnpublished (props: Record<string, string>): boolean {
  return props[UNPUBLISHED] !== undefined
}

export function unpublishedProps (atIso: string): Record<string, string> {
  return { [UNPUBLISHED]: atIso }
}

/** Splits text into pieces of at most MANIFEST_CHUNK_BYTES UTF-8 bytes, never inside a character. */
function chunks (text: string): string[] {
  const out: string[] = []
  let piece = ''
  let size = 0
  for (const ch of text) {
    const n = Buffer.byteLength(ch)
    if (size + n > MANIFEST_CHUNK_BYTES) {
      out.push(piece)
      piece = ''
      size = 0
    }
    piece += ch
    size += n
  }
  if (piece !== '') out.push(piece)
  return out
}
