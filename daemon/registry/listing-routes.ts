// GET `/v2/<name>/tags/list`, `/v2/_catalog` and `/v2/<name>/referrers/<digest>`:
// the HTTP side of listing.ts and referrers.ts.

import type { RouteContext, Request } from './context.js'
import { RegistryError } from './errors.js'
import { queryOne, sendJson } from './http.js'
import { listRepositories, listTags, nextLink, parsePage, repoExists } from './listing.js'
import { OCI_INDEX } from './media-types.js'
import { checkDigest } from './names.js'
import { listReferrers } from './referrers.js'

export function getTags (ctx: RouteContext, r: Request, name: string): void {
  ctx.auth.check(r.req, 'reader')
  if (!repoExists(ctx.backend, name)) throw new RegistryError('NAME_UNKNOWN', `repository ${name} is not known to this registry`, { detail: { name } })
  const page = parsePage(r.url, ctx.limits.pageSize)
  const listing = listTags(ctx.backend, name, page)
  sendJson(r.res, 200, { name, tags: listing.items }, nextLink(r.url.pathname, page, listing))
}

export function getCatalog (ctx: RouteContext, r: Request): void {
  ctx.auth.check(r.req, 'reader')
  const page = parsePage(r.url, ctx.limits.pageSize)
  const listing = listRepositories(ctx.backend, page)
  sendJson(r.res, 200, { repositories: listing.items }, nextLink(r.url.pathname, page, listing))
}

export async function getReferrers (ctx: RouteContext, r: Request, name: string, digestText: string): Promise<void> {
  ctx.auth.check(r.req, 'reader')
  const subject = checkDigest(digestText)
  const artifactType = queryOne(r.url, 'artifactType')
  const last = queryOne(r.url, 'last')
  const page = await listReferrers(ctx.backend, { name, subject, ...(artifactType === undefined ? {} : { artifactType }), ...(last === undefined ? {} : { last }) })
  const headers: Record<string, string> = { 'content-type': OCI_INDEX }
  if (artifactType !== undefined) headers['oci-filters-applied'] = 'artifactType'
  if (page.next !== undefined) {
    const query = new URLSearchParams({ ...(artifactType === undefined ? {} : { artifactType }), last: page.next })
    headers.link = `<${r.url.pathname}?${query.toString()}>; rel="next"`
  }
  sendJson(r.res, 200, page.index, headers)
}
