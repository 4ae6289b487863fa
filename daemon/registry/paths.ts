// The API's URL paths, parsed into what they address. `<name>` may contain
// slashes, so each form is matched from its right end (the part after the
// name has a fixed shape), and the name is then checked against the spec's
// grammar on the raw path (see names.ts). A path of no form gets a plain 404.

import { checkRepoName } from './names.js'

export type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'manifest', name: string, reference: string }
  | { kind: 'blob', name: string, digest: string }
  | { kind: 'uploads', name: string }
  | { kind: 'upload', name: string, id: string }
  | { kind: 'tags', name: string }
  | { kind: 'referrers', name: string, digest: string }

const FORMS: Array<{ re: RegExp, make: (name: string, last: string) => Route }> = [
  { re: /^(.+)\/manifests\/([^/]+)$/, make: (name, reference) => ({ kind: 'manifest', name, reference }) },
  { re: /^(.+)\/blobs\/uploads\/?()$/, make: name => ({ kind: 'uploads', name }) },
  { re: /^(.+)\/blobs\/uploads\/([^/]+)$/, make: (name, id) => ({ kind: 'upload', name, id }) },
  { re: /^(.+)\/blobs\/([^/]+)$/, make: (name, digest) => ({ kind: 'blob', name, digest }) },
  { re: /^(.+)\/tags\/list()$/, make: name => ({ kind: 'tags', name }) },
  { re: /^(.+)\/referrers\/([^/]+)$/, make: (name, digest) => ({ kind: 'referrers', name, digest }) }
]

/**
 * The route of a raw request path (no query), undefined when it is none of
 * the API's forms. Throws NAME_INVALID when the form matches but the name
 * breaks the grammar, so nothing is ever stored under it.
 */
export function parsePath (path: string): Route | undefined {
  if (path === '/v2' || path === '/v2/') return { kind: 'base' }
  if (!path.startsWith('/v2/')) return undefined
  const rest = path.slice('/v2/'.length)
  if (rest === '_catalog') return { kind: 'catalog' }
  for (const form of FORMS) {
    const m = form.re.exec(rest)
    if (m === null) continue
    return form.make(checkRepoName(m[1]), decodeLast(m[2]))
  }
  return undefined
}

/** The last segment (a tag, digest or upload id) may be percent-encoded by some clients (`sha256%3A…`); names never are. */
function decodeLast (segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

export function manifestPath (name: string, reference: string): string {
  return `/v2/${name}/manifests/${reference}`
}

export function blobPath (name: string, digest: string): string {
  return `/v2/${name}/blobs/${digest}`
}

export function uploadPath (name: string, id: string): string {
  return `/v2/${name}/blobs/uploads/${id}`
}
