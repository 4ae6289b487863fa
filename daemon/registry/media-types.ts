// The manifest media types the registry takes, and what kind each is. Docker's
// schema 1 (signed) manifests are long deprecated and not taken; anything
// unknown is refused (MANIFEST_INVALID), since the registry must read a
// manifest's references to know what it keeps alive.

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'

export type ManifestKind = 'image' | 'index'

const KINDS: Record<string, ManifestKind> = {
  [OCI_MANIFEST]: 'image',
  [DOCKER_MANIFEST]: 'image',
  [OCI_INDEX]: 'index',
  [DOCKER_LIST]: 'index'
}

export const MANIFEST_MEDIA_TYPES: readonly string[] = Object.keys(KINDS)

export function manifestKind (mediaType: string): ManifestKind | undefined {
  return Object.hasOwn(KINDS, mediaType) ? KINDS[mediaType] : undefined
}

/** `type/subtype` of a Content-Type header, parameters dropped (the spec: registries ignore them). */
export function bareMediaType (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const bare = header.split(';')[0].trim().toLowerCase()
  return bare === '' ? undefined : bare
}

/** Layers that are never pushed to a registry (Docker foreign layers, OCI non-distributable ones): not required to exist. */
export function isForeignLayer (mediaType: string): boolean {
  return mediaType.includes('.foreign.') || mediaType.includes('.nondistributable.')
}
