// One package as this site's metadata has it right now: its versions (with
// the record each version key carries), dist-tags and deprecations, read from
// the keys under npm/<name>/ (keys.ts). Everything the npm routes answer is
// rendered from this, so every site answers alike for the same metadata.

import { createHash } from 'node:crypto'
import type { KeyEntry, RegistryBackend } from '../registry/backend.js'
import { MAX_PACKAGE_KEYS } from './constants.js'
import { NpmError } from './errors.js'
import { packagePrefix, parsePackageKey } from './keys.js'
import { decodeVersion, type Manifest, type VersionFacts } from './manifest-props.js'
import { compareVersions } from './names.js'

export interface PublishedVersion {
  version: string
  digest: string
  size: number
  manifest: Manifest
  facts: VersionFacts
}

export interface PackageState {
  name: string
  /** Published versions, in semver order. */
  versions: Map<string, PublishedVersion>
  /** Versions unpublished (never to be published again), with when. */
  unpublished: Map<string, string>
  /** tag → version, only tags naming a published version. */
  tags: Map<string, string>
  /** version → message. */
  deprecations: Map<string, string>
  /** A revision id: changes whenever any of the package's keys does (npm sends it back on updates). */
  rev: string
}

export function loadPackage (backend: Pick<RegistryBackend, 'listKeys'>, name: string): PackageState {
  const entries = backend.listKeys(packagePrefix(name), { limit: MAX_PACKAGE_KEYS + 1 })
  if (entries.length > MAX_PACKAGE_KEYS) throw NpmError.tooLarge(`${name} has more than ${MAX_PACKAGE_KEYS} versions, tags and deprecations; this registry serves at most that many`)
  const found: PublishedVersion[] = []
  const unpublished = new Map<string, string>()
  const tagged: Array<[string, string]> = []
  const deprecations = new Map<string, string>()
  for (const e of entries) {
    const k = parsePackageKey(e.key)
    if (k === undefined || k.name !== name) continue
    if (k.kind === 'versions') {
      const stored = decodeVersion(e.props)
      if (stored?.kind === 'published') found.push({ version: k.rest, digest: e.digest, size: e.size, manifest: stored.manifest, facts: stored.facts })
      else if (stored?.kind === 'unpublished') unpublished.set(k.rest, stored.at)
    } else if (k.kind === 'dist-tags') {
      const v = e.props.version
      if (v !== undefined) tagged.push([k.rest, v])
    } else {
      const message = e.props.message
      if (message !== undefined) deprecations.set(k.rest, message)
    }
  }
  found.sort((a, b) => compareVersions(a.version, b.version))
  const versions = new Map(found.map(v => [v.version, v]))
  const tags = new Map(tagged.filter(([, v]) => versions.has(v)))
  return { name, versions, unpublished, tags, deprecations, rev: revOf(entries) }
}

export function exists (p: PackageState): boolean {
  return p.versions.size > 0
}

/** The version a tag or version names, if published. */
export function resolveSpec (p: PackageState, spec: string): PublishedVersion | undefined {
  return p.versions.get(p.tags.get(spec) ?? spec)
}

function revOf (entries: KeyEntry[]): string {
  const h = createHash('sha256')
  for (const e of entries) h.update(`${e.key}\n${e.digest}\n${JSON.stringify(e.props)}\n`)
  return `${entries.length + 1}-${h.digest('hex').slice(0, 32)}`
}
