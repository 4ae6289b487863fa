// The npm registry's URL space, parsed: the endpoints the npm CLI uses. A
// scoped name arrives escaped in one segment (`/@scope%2fname`, what npm
// sends) or as two (`/@scope/name`, what tarball URLs use); both are accepted.
//
//   /-/ping  /-/whoami  /-/v1/search            /-/user/org.couchdb.user:<u> (npm login)
//   /-/package/<name>/dist-tags[/<tag>]
//   /<name>                  packument; PUT publishes
//   /<name>/-rev/<rev>       PUT: deprecate, unpublish versions, tags; DELETE: unpublish all
//   /<name>/-/<file>.tgz     tarball;   /<name>/-/<file>.tgz/-rev/<rev>  DELETE (after an unpublish)
//   /<name>/<version|tag>    one version's manifest

export type NpmRoute =
  | { kind: 'ping' }
  | { kind: 'whoami' }
  | { kind: 'search' }
  | { kind: 'login' }
  | { kind: 'tags', name: string }
  | { kind: 'tag', name: string, tag: string }
  | { kind: 'package', name: string }
  | { kind: 'package-rev', name: string, rev: string }
  | { kind: 'tarball', name: string, file: string }
  | { kind: 'tarball-rev', name: string, file: string, rev: string }
  | { kind: 'version', name: string, spec: string }

export function parseNpmPath (path: string): NpmRoute | undefined {
  const segments = path.split('/').slice(1)
  const decoded: string[] = []
  for (const s of segments) {
    try { decoded.push(decodeURIComponent(s)) } catch { return undefined }
  }
  if (decoded[0] === '-') return special(decoded.slice(1))
  const taken = takeName(decoded)
  if (taken === undefined) return undefined
  const { name, rest } = taken
  if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) return { kind: 'package', name }
  if (rest[0] === '-rev' && rest.length === 2) return { kind: 'package-rev', name, rev: rest[1] as string }
  if (rest[0] === '-' && rest.length === 2) return { kind: 'tarball', name, file: rest[1] as string }
  if (rest[0] === '-' && rest.length === 4 && rest[2] === '-rev') return { kind: 'tarball-rev', name, file: rest[1] as string, rev: rest[3] as string }
  if (rest.length === 1) return { kind: 'version', name, spec: rest[0] as string }
  return undefined
}

function special (rest: string[]): NpmRoute | undefined {
  const [first, ...more] = rest
  if (first === 'ping' && more.length === 0) return { kind: 'ping' }
  if (first === 'whoami' && more.length === 0) return { kind: 'whoami' }
  if (first === 'v1' && more.length === 1 && more[0] === 'search') return { kind: 'search' }
  if (first === 'user') return { kind: 'login' }
  if (first === 'package') {
    const taken = takeName(more)
    if (taken === undefined || taken.rest[0] !== 'dist-tags') return undefined
    if (taken.rest.length === 1) return { kind: 'tags', name: taken.name }
    if (taken.rest.length === 2) return { kind: 'tag', name: taken.name, tag: taken.rest[1] as string }
  }
  return undefined
}

/** The package name at the front of decoded segments, and what follows it. */
function takeName (segments: string[]): { name: string, rest: string[] } | undefined {
  const [first, second] = segments
  if (first === undefined || first === '') return undefined
  if (first.startsWith('@')) {
    if (first.includes('/')) return { name: first, rest: segments.slice(1) }
    // A bare scope is no name: taken as one, so the name check says why.
    if (second === undefined || second === '') return { name: first, rest: [] }
    return { name: `${first}/${second}`, rest: segments.slice(2) }
  }
  return { name: first, rest: segments.slice(1) }
}
