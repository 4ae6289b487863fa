// Tag listing and the catalog, paginated as the spec says: `n` (at most that
// many; 0 gives an empty list and no Link), `last` (start after it), and a
// `Link: <…>; rel="next"` whenever more follow. Tags are keys of one range, so
// a page is one listKeys call in the byte order the spec calls ASCIIbetical.
// The catalog skips from one repository to the next (keys.ts: a repository's
// own keys are one range), one listKeys call per repository, so a page costs
// its size, not the size of the key space. Its order is that of
// `<repo>/_` (a repository sorts before the ones nested in it, as in
// ASCII `/` against `-` and `.`: `a-b`, `a`, `a/b`); `last` continues it.

import type { RegistryBackend } from './backend.js'
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './constants.js'
import { RegistryError } from './errors.js'
import { queryOne } from './http.js'
import { afterRepo, repoOfKey, repoPrefix, ROOT, tagsPrefix } from './keys.js'

export interface Page { n: number, last?: string }

/** `n` and `last` of a listing request; without n, `pageSize`; n is clamped to MAX_PAGE_SIZE (a Link then says more follow). */
export function parsePage (url: URL, pageSize = DEFAULT_PAGE_SIZE): Page {
  const nText = queryOne(url, 'n')
  const last = queryOne(url, 'last')
  let n = Math.min(pageSize, MAX_PAGE_SIZE)
  if (nText !== undefined) {
    if (!/^\d{1,9}$/.test(nText)) throw new RegistryError('UNSUPPORTED', `n must be a non-negative integer, not ${JSON.stringify(nText.slice(0, 20))}`, { status: 400 })
    n = Math.min(Number(nText), MAX_PAGE_SIZE)
  }
  return { n, ...(last === undefined || last === '' ? {} : { last }) }
}

export interface Listing { items: string[], next?: string }

type Lister = Pick<RegistryBackend, 'listKeys'>

export function repoExists (backend: Lister, name: string): boolean {
  return backend.listKeys(repoPrefix(name), { limit: 1 }).length > 0
}

/** One page of a repository's tags. `next` is the last tag when more follow. */
export function listTags (backend: Lister, name: string, page: Page): Listing {
  if (page.n === 0) return { items: [] }
  const prefix = tagsPrefix(name)
  const entries = backend.listKeys(prefix, { ...(page.last === undefined ? {} : { after: prefix + page.last }), limit: page.n + 1 })
  const items = entries.slice(0, page.n).map(e => e.key.slice(prefix.length))
  return entries.length > page.n ? { items, next: items[items.length - 1] } : { items }
}

/** One page of repository names. */
export function listRepositories (backend: Lister, page: Page): Listing {
  const items: string[] = []
  if (page.n === 0) return { items }
  let cursor = page.last === undefined ? undefined : afterRepo(page.last)
  // Keys under oci/ outside the layout (published by hand) are stepped over, boundedly.
  for (let steps = 0; steps < page.n + MAX_PAGE_SIZE; steps++) {
    const [entry] = backend.listKeys(ROOT, { ...(cursor === undefined ? {} : { after: cursor }), limit: 1 })
    if (entry === undefined) return { items }
    const repo = repoOfKey(entry.key)
    if (repo === undefined) {
      cursor = entry.key
      continue
    }
    if (items.length === page.n) return { items, next: items[items.length - 1] }
    items.push(repo)
    cursor = afterRepo(repo)
  }
  return { items, ...(items.length === 0 ? {} : { next: items[items.length - 1] }) }
}

/** The `Link` header of the next page, or none. */
export function nextLink (path: string, page: Page, listing: Listing, extra: Record<string, string> = {}): Record<string, string> {
  if (listing.next === undefined) return {}
  const query = new URLSearchParams({ ...extra, n: String(page.n), last: listing.next })
  return { link: `<${path}?${query.toString()}>; rel="next"` }
}
