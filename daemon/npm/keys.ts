// How npm packages live in mycel's key space. A package name never contains a
// "/" except after its @scope, and never starts with "_", so the kind segment
// after the name ends it unambiguously:
//
//   npm/<name>/versions/<version>   → the tarball (sha-256); props: the version's
//                                     manifest (manifest-props.ts), sha-512
//                                     integrity, sha-1 shasum, publish time.
//                                     Immutable: a site refuses a second publish
//                                     of a version; an unpublish replaces the key
//                                     with a marker naming the empty blob, so the
//                                     version is never published again.
//   npm/<name>/dist-tags/<tag>      → the tagged version's tarball; props: version
//   npm/<name>/deprecated/<version> → that version's tarball; props: message
//
// Packuments are assembled from these at read time (packument.ts): every site
// has the metadata, so every site answers for every package.

export const ROOT = 'npm/'

export function packagePrefix (name: string): string {
  return `${ROOT}${name}/`
}

export function versionKey (name: string, version: string): string {
  return `${packagePrefix(name)}versions/${version}`
}

export function tagKey (name: string, tag: string): string {
  return `${packagePrefix(name)}dist-tags/${tag}`
}

export function deprecationKey (name: string, version: string): string {
  return `${packagePrefix(name)}deprecated/${version}`
}

export type PackageKey = { name: string, kind: 'versions' | 'dist-tags' | 'deprecated', rest: string }

export function parsePackageKey (key: string): PackageKey | undefined {
  const m = /^npm\/((?:@[^/]+\/)?[^/@._][^/]*)\/(versions|dist-tags|deprecated)\/([^/]+)$/.exec(key)
  if (m === null) return undefined
  return { name: m[1] as string, kind: m[2] as PackageKey['kind'], rest: m[3] as string }
}

/** A package key as npm users name it: `@scope/name@1.0.0`, `name@latest` (a tag), or undefined for other keys. */
export function packageLabel (key: string): string | undefined {
  const k = parsePackageKey(key)
  if (k === undefined) return undefined
  if (k.kind === 'versions') return `${k.name}@${k.rest}`
  if (k.kind === 'dist-tags') return `${k.name}@${k.rest} (dist-tag)`
  return `${k.name}@${k.rest} (deprecation)`
}
