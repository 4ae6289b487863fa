// How images live in mycel's key space. Every repository's own keys sit under
// `oci/<repo>/_`: tags, manifests, blobs (layers and configs the repository
// links) and the referrers index. A repository name never has a component
// starting with `_` (the spec's grammar), so `/_` ends the name: parsing is
// unambiguous, a repository's keys are one contiguous range (listing a kind
// never wades through nested repositories like `a/tags/b`), and the catalog
// can skip from one repository to the next. (The issue sketched
// `oci/<repo>/tags/<tag>`; there `oci/a/tags/` would also list every key of
// a repository named `a/tags/x`.)
//
//   oci/<repo>/_tags/<tag>                          → the manifest's digest; props: mediaType
//   oci/<repo>/_manifests/sha256:<hex>               → itself; props: manifest-record.ts
//   oci/<repo>/_blobs/sha256:<hex>                   → itself; props: at (upload time)
//   oci/<repo>/_referrers/sha256:<subject>/sha256:<hex> → the referrer; props: mediaType, artifactType, annotations
//
// Each key names its blob, so the blob layer keeps bytes exactly while some key
// names them, and `mycel where oci/<repo>/_tags/<tag>` shows who holds an image.

export const ROOT = 'oci/'

export function repoPrefix (repo: string): string {
  return `${ROOT}${repo}/_`
}

export function tagsPrefix (repo: string): string {
  return `${ROOT}${repo}/_tags/`
}

export function tagKey (repo: string, tag: string): string {
  return tagsPrefix(repo) + tag
}

export function manifestsPrefix (repo: string): string {
  return `${ROOT}${repo}/_manifests/`
}

export function manifestKey (repo: string, digest: string): string {
  return manifestsPrefix(repo) + digest
}

export function blobsPrefix (repo: string): string {
  return `${ROOT}${repo}/_blobs/`
}

export function blobKey (repo: string, digest: string): string {
  return blobsPrefix(repo) + digest
}

/** Every referrers index key of a repository. */
export function allReferrersPrefix (repo: string): string {
  return `${ROOT}${repo}/_referrers/`
}

export function referrersPrefix (repo: string, subject: string): string {
  return `${allReferrersPrefix(repo)}${subject}/`
}

export function referrerKey (repo: string, subject: string, digest: string): string {
  return referrersPrefix(repo, subject) + digest
}

/** The repository a registry key belongs to, or undefined for keys outside the layout. */
export function repoOfKey (key: string): string | undefined {
  if (!key.startsWith(ROOT)) return undefined
  const end = key.indexOf('/_', ROOT.length)
  return end <= ROOT.length ? undefined : key.slice(ROOT.length, end)
}

/** A key after every key of `repo` itself (its nested repositories may follow). */
export function afterRepo (repo: string): string {
  return repoPrefix(repo) + '\u{10FFFF}'
}

/**
 * How people name what a registry key is about, for `where`, `watch` and the
 * status page: `team/app:v1` for a tag, `team/app@sha256:…` for a manifest, a
 * layer or a referrer; undefined for keys outside `oci/`.
 */
export function imageLabel (key: string): string | undefined {
  const m = /^oci\/(.+?)\/_(tags|manifests|blobs|referrers)\/(.+)$/.exec(key)
  if (m === null) return undefined
  const [, repo, kind, rest] = m as unknown as [string, string, string, string]
  if (kind === 'tags') return `${repo}:${rest}`
  if (kind === 'referrers') return `${repo}@${rest.split('/')[0] ?? rest} (referrer ${rest.split('/')[1] ?? ''})`
  return `${repo}@${rest}${kind === 'blobs' ? ' (blob)' : ''}`
}
