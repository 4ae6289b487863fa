// The referrers API: the manifests whose `subject` is a given digest, as an
// image index of descriptors (media type, size, digest, artifactType,
// annotations), optionally filtered by artifactType. Answered from metadata:
// a manifest pushed with a subject also writes an index key
// `oci/<repo>/_referrers/<subject>/<digest>` (keys.ts) carrying what its
// descriptor needs, so the answer reads one key range, at whichever site,
// without any manifest's bytes — except annotations too large for a prop,
// read from the manifest itself. An index key whose manifest key is gone (a
// delete that did not finish) is skipped, and garbage collection removes it.

import type { RegistryBackend } from './backend.js'
import { MAX_MANIFEST_BYTES, MAX_PAGE_SIZE } from './constants.js'
import { manifestKey, referrersPrefix } from './keys.js'
import { OCI_INDEX } from './media-types.js'
import type { Descriptor } from './manifest.js'

export interface ReferrersQuery {
  name: string
  subject: string
  artifactType?: string
  /** Digest of the last referrer of the previous page. */
  last?: string
}

export interface ReferrersPage {
  index: { schemaVersion: 2, mediaType: string, manifests: Descriptor[] }
  /** The last digest when more follow. */
  next?: string
}

type Reader = Pick<RegistryBackend, 'listKeys' | 'getKey' | 'openBlob'>

export async function listReferrers (backend: Reader, q: ReferrersQuery): Promise<ReferrersPage> {
  const prefix = referrersPrefix(q.name, q.subject)
  const entries = backend.listKeys(prefix, { ...(q.last === undefined ? {} : { after: prefix + q.last }), limit: MAX_PAGE_SIZE + 1 })
  const manifests: Descriptor[] = []
  for (const e of entries.slice(0, MAX_PAGE_SIZE)) {
    if (backend.getKey(manifestKey(q.name, e.digest)) === undefined) continue
    const artifactType = e.props.artifactType
    if (q.artifactType !== undefined && artifactType !== q.artifactType) continue
    const d: Descriptor = { mediaType: e.props.mediaType, size: e.size, digest: e.digest }
    if (artifactType !== undefined) d.artifactType = artifactType
    const annotations = await annotationsOf(backend, e.digest, e.props)
    if (annotations !== undefined) d.annotations = annotations
    manifests.push(d)
  }
  const index = { schemaVersion: 2 as const, mediaType: OCI_INDEX, manifests }
  return entries.length > MAX_PAGE_SIZE ? { index, next: entries[MAX_PAGE_SIZE - 1].digest } : { index }
}

async function annotationsOf (backend: Reader, digest: string, props: Record<string, string>): Promise<Record<string, string> | undefined> {
  if (props.annotations !== undefined) return JSON.parse(props.annotations) as Record<string, string>
  if (props.annotationsInBody !== '1') return undefined
  const { stream } = await backend.openBlob(digest)
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    size += chunk.byteLength
    if (size > MAX_MANIFEST_BYTES) return undefined
    parts.push(Buffer.from(chunk))
  }
  const json = JSON.parse(Buffer.concat(parts).toString('utf8')) as { annotations?: Record<string, string> }
  return json.annotations
}
