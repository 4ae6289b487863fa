// Waiting on many sites at once: poll each until a condition holds, and note when it first did. The
// sites are real processes on real links, so time here is wall time by nature; every wait has a
// deadline and says which sites missed it.

import type { Site } from './fleet.js'

/** A tenth of a second: fine for figures of seconds, and little load even across 24 sites. */
const POLL_MS = 100

/** Milliseconds (from `since`) at which each site first passed `check`; throws naming the sites that never did. */
export async function whenEach (what: string, sites: Site[], check: (site: Site) => Promise<boolean>, since: number, timeoutMs: number): Promise<Map<Site, number>> {
  const done = new Map<Site, number>()
  const deadline = since + timeoutMs
  while (done.size < sites.length) {
    await Promise.all(sites.filter(s => !done.has(s)).map(async s => {
      if (await check(s).catch(() => false)) done.set(s, performance.now() - since)
    }))
    if (done.size === sites.length) break
    if (performance.now() > deadline) {
      const missing = sites.filter(s => !done.has(s)).map(s => s.name)
      throw new Error(`${what}: ${missing.join(', ')} did not get there within ${Math.round(timeoutMs / 1000)} s`)
    }
    await new Promise(resolve => setTimeout(resolve, POLL_MS))
  }
  return done
}

/** The live keys of a site as sorted `key=digest` lines, for comparing sites. */
export async function viewOf (site: Site, prefix: string): Promise<Map<string, string>> {
  const res = await site.node.api<Array<{ key: string, digest: string }>>('GET', `/v1/keys?prefix=${encodeURIComponent(prefix)}`)
  if (res.status !== 200) throw new Error(`${site.name}: GET /v1/keys answered ${res.status}`)
  return new Map(res.body.map(e => [e.key, e.digest]))
}
