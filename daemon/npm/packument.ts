// Packuments, rendered from a PackageState: the full document `npm view` and
// `npm publish`'s merge read, and the abbreviated one `npm install` asks for
// (Accept: application/vnd.npm.install-v1+json): only what dependency
// resolution needs. Tarball URLs point at the site serving the request (its
// Host), so a client that reached this site fetches the bytes from it too.

import type { Manifest } from './manifest-props.js'
import type { PackageState, PublishedVersion } from './package-state.js'
import { tarballFile } from './names.js'

export const ABBREVIATED = 'application/vnd.npm.install-v1+json'

/** The fields of a version npm's installer reads (the abbreviated metadata format). */
const INSTALL_FIELDS = ['name', 'version', 'deprecated', 'dependencies', 'optionalDependencies', 'devDependencies', 'bundleDependencies',
  'bundledDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'directories', 'engines', 'cpu', 'os', 'libc', '_hasShrinkwrap',
  'hasInstallScript', 'funding', 'license', 'acceptDependencies']

/** From the latest version (or the newest) onto the document, as npm's registry does. */
const DOC_FIELDS = ['description', 'keywords', 'license', 'homepage', 'repository', 'bugs', 'author', 'maintainers']

export function tarballUrl (base: string, name: string, version: string): string {
  return `${base}/${name}/-/${tarballFile(name, version)}`
}

/** One version's manifest as the registry serves it: with its dist and deprecation. */
export function versionDoc (p: PackageState, v: PublishedVersion, base: string): Manifest {
  const extra = typeof v.manifest.dist === 'object' && v.manifest.dist !== null ? v.manifest.dist as Record<string, unknown> : {}
  const doc: Manifest = {
    ...v.manifest,
    name: p.name,
    version: v.version,
    _id: `${p.name}@${v.version}`,
    dist: { ...extra, shasum: v.facts.shasum, integrity: v.facts.integrity, tarball: tarballUrl(base, p.name, v.version) }
  }
  const deprecated = p.deprecations.get(v.version)
  if (deprecated !== undefined && deprecated !== '') doc.deprecated = deprecated
  return doc
}

export function fullPackument (p: PackageState, base: string): Manifest {
  const versions: Record<string, Manifest> = {}
  const time: Record<string, string> = {}
  for (const v of p.versions.values()) {
    versions[v.version] = versionDoc(p, v, base)
    time[v.version] = v.facts.published
  }
  const doc: Manifest = { _id: p.name, _rev: p.rev, name: p.name, 'dist-tags': Object.fromEntries(p.tags), versions }
  const head = headVersion(p)
  if (head !== undefined) for (const f of DOC_FIELDS) if (head.manifest[f] !== undefined) doc[f] = head.manifest[f]
  const times = timesOf(p)
  if (times.length > 0) doc.time = { created: times[0], modified: times[times.length - 1], ...time }
  doc.readme = ''
  return doc
}

export function abbreviatedPackument (p: PackageState, base: string): Manifest {
  const versions: Record<string, Manifest> = {}
  for (const v of p.versions.values()) {
    const full = versionDoc(p, v, base)
    const slim: Manifest = {}
    for (const f of INSTALL_FIELDS) if (full[f] !== undefined) slim[f] = full[f]
    slim.dist = full.dist
    versions[v.version] = slim
  }
  return { name: p.name, modified: modifiedOf(p), 'dist-tags': Object.fromEntries(p.tags), versions }
}

export function modifiedOf (p: PackageState): string {
  const times = timesOf(p)
  return times[times.length - 1] ?? new Date(0).toISOString()
}

/** Every publish and unpublish time of the package, oldest first (ISO strings sort as times). */
function timesOf (p: PackageState): string[] {
  return [...[...p.versions.values()].map(v => v.facts.published), ...p.unpublished.values()].sort()
}

/** The version `latest` names, else the highest. */
export function headVersion (p: PackageState): PublishedVersion | undefined {
  const latest = p.tags.get('latest')
  if (latest !== undefined) return p.versions.get(latest)
  return [...p.versions.values()].pop()
}
