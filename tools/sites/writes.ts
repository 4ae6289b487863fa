// Small writes at many sites, and what every site should end up showing for them.

import type { Site } from './fleet.js'
import { viewOf } from './waits.js'

/** Key → digest every site should show; a key mapped to null must be absent everywhere. */
export type Expected = Map<string, string | null>

/** Publishes `content` under `key` at `site`; returns the digest, so the expectation is exact. */
export async function put (site: Site, key: string, content: string): Promise<string> {
  const res = await site.node.publish(key, content)
  if (res.status !== 201) throw new Error(`publish ${key} at ${site.name} answered ${res.status}: ${JSON.stringify(res.body)}`)
  return res.body.digest
}

export async function remove (site: Site, key: string): Promise<void> {
  const res = await site.node.api('DELETE', `/v1/keys/${encodeURIComponent(key)}`)
  if (res.status !== 200) throw new Error(`rm ${key} at ${site.name} answered ${res.status}`)
}

/** Runs `count` jobs, at most `concurrency` at once. */
export async function inParallel (count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    for (let i = next++; i < count; i = next++) await job(i)
  }))
}

/** Whether a site's view under `prefix` is exactly what is expected. */
export async function showsExactly (site: Site, prefix: string, expected: Expected): Promise<boolean> {
  // The key count first: listing every key of 24 sites ten times a second would load the machine
  // more than the replication it measures. Each scenario writes under its own prefix only.
  let live = 0
  for (const digest of expected.values()) if (digest !== null) live++
  const status = await site.node.api<{ keys: number }>('GET', '/v1/status')
  if (status.body.keys !== live) return false
  const view = await viewOf(site, prefix)
  for (const [key, digest] of expected) {
    if (digest === null) { if (view.has(key)) return false } else if (view.get(key) !== digest) return false
  }
  return view.size === live
}

/** What went wrong at each site: expected keys missing (lost) and deleted keys live (resurrected). */
export async function damage (sites: Site[], prefix: string, expected: Expected): Promise<{ lost: number, resurrected: number, unexpected: number }> {
  let lost = 0
  let resurrected = 0
  let unexpected = 0
  for (const site of sites) {
    const view = await viewOf(site, prefix)
    for (const [key, digest] of expected) {
      if (digest === null && view.has(key)) resurrected++
      if (digest !== null && view.get(key) !== digest) lost++
    }
    for (const key of view.keys()) if (!expected.has(key)) unexpected++
  }
  return { lost, resurrected, unexpected }
}
