// What a manifest key's props carry, so every site knows a manifest from
// metadata alone (no bytes): its media type, its referrers facts, and the
// digests it references, which is what garbage collection and the checks of
// later pushes read. mycel props are strings of ≤ 1024 bytes, at most 64 per
// key: referenced digests are packed 15 per prop as bare hex (`blobs.0`,
// `blobs.1`, …; `manifests.0`, …), which MAX_MANIFEST_REFS keeps within
// budget. Annotations are kept as JSON when they fit one prop; larger ones
// are read from the manifest's bytes when the referrers API needs them.

import { MAX_ANNOTATIONS_PROP_BYTES } from './constants.js'
import type { ParsedManifest } from './manifest.js'

const HEX_PER_PROP = 15
const SHA256_PREFIX = 'sha256:'

export interface ManifestRecord {
  mediaType: string
  artifactType?: string
  subject?: string
  /** JSON of the annotations, when they fit a prop. */
  annotations?: string
  /** The manifest has annotations too large for a prop: read them from its bytes. */
  annotationsInBody: boolean
  /** sha-256 digests of its config and layers. */
  blobs: string[]
  /** sha-256 digests of its child manifests (indexes). */
  manifests: string[]
}

export function recordOf (m: ParsedManifest): ManifestRecord {
  const json = m.annotations === undefined || Object.keys(m.annotations).length === 0 ? undefined : JSON.stringify(m.annotations)
  const fits = json !== undefined && Buffer.byteLength(json) <= MAX_ANNOTATIONS_PROP_BYTES
  return {
    mediaType: m.mediaType,
    ...(m.artifactType === undefined ? {} : { artifactType: m.artifactType }),
    ...(m.subject === undefined ? {} : { subject: m.subject.digest }),
    ...(fits ? { annotations: json } : {}),
    annotationsInBody: json !== undefined && !fits,
    // Only sha-256 digests can name mycel blobs; others were refused as unknown before this.
    blobs: m.blobs.map(d => d.digest).filter(d => d.startsWith(SHA256_PREFIX)),
    manifests: m.manifests.map(d => d.digest).filter(d => d.startsWith(SHA256_PREFIX))
  }
}

export function recordToProps (r: ManifestRecord): Record<string, string> {
  const props: Record<string, string> = { mediaType: r.mediaType }
  if (r.artifactType !== undefined) props.artifactType = r.artifactType
  if (r.subject !== undefined) props.subject = r.subject
  if (r.annotations !== undefined) props.annotations = r.annotations
  if (r.annotationsInBody) props.annotationsInBody = '1'
  packDigests(props, 'blobs', r.blobs)
  packDigests(props, 'manifests', r.manifests)
  return props
}

export function recordFromProps (props: Record<string, string>): ManifestRecord {
  return {
    mediaType: props.mediaType ?? '',
    ...(props.artifactType === undefined ? {} : { artifactType: props.artifactType }),
    ...(props.subject === undefined ? {} : { subject: props.subject }),
    ...(props.annotations === undefined ? {} : { annotations: props.annotations }),
    annotationsInBody: props.annotationsInBody === '1',
    blobs: unpackDigests(props, 'blobs'),
    manifests: unpackDigests(props, 'manifests')
  }
}

function packDigests (props: Record<string, string>, name: string, digests: string[]): void {
  for (let i = 0; i * HEX_PER_PROP < digests.length; i++) {
    props[`${name}.${i}`] = digests.slice(i * HEX_PER_PROP, (i + 1) * HEX_PER_PROP).map(d => d.slice(SHA256_PREFIX.length)).join(' ')
  }
}

function unpackDigests (props: Record<string, string>, name: string): string[] {
  const out: string[] = []
  for (let i = 0; props[`${name}.${i}`] !== undefined; i++) {
    for (const hex of props[`${name}.${i}`].split(' ')) if (hex !== '') out.push(SHA256_PREFIX + hex)
  }
  return out
}
