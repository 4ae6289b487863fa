// `npm search`: GET /-/v1/search?text=…&size=…&from=…, answered from this
// site's metadata by a bounded scan of the packages' head versions. Simple
// on purpose (the issue asks no more): a package matches when every word of
// the text appears in its name, description or keywords; the score favours
// name matches. The scan stops at MAX_SEARCH_SCAN_KEYS keys.

import type { RegistryBackend } from '../registry/backend.js'
import { MAX_SEARCH_RESULTS, MAX_SEARCH_SCAN_KEYS } from './constants.js'
import { parsePackageKey, ROOT } from './keys.js'
import { loadPackage } from './package-state.js'
import { headVersion, modifiedOf } from './packument.js'

export interface SearchQuery { text: string, size: number, from: number }

export function search (backend: Pick<RegistryBackend, 'listKeys'>, q: SearchQuery): { objects: unknown[], total: number, time: string } {
  const words = q.text.toLowerCase().split(/\s+/).filter(w => w !== '')
  const names = new Set<string>()
  let after: string | undefined
  let scanned = 0
  while (scanned < MAX_SEARCH_SCAN_KEYS) {
    const page = backend.listKeys(ROOT, { limit: 1000, ...(after === undefined ? {} : { after }) })
    if (page.length === 0) break
    for (const e of page) {
      const k = parsePackageKey(e.key)
      if (k?.kind === 'versions') names.add(k.name)
    }
    scanned += page.length
    after = page[page.length - 1]?.key
  }
  const hits: Array<{ score: number, object: unknown }> = []
  for (const name of names) {
    const p = loadPackage(backend, name)
    const head = headVersion(p)
    if (head === undefined) continue
    const description = typeof head.manifest.description === 'string' ? head.manifest.description : ''
    const keywords = Array.isArray(head.manifest.keywords) ? head.manifest.keywords.filter((k): k is string => typeof k === 'string') : []
    const npmUser = head.manifest._npmUser as { name?: unknown } | undefined
    const publisher = typeof npmUser?.name === 'string' ? npmUser.name : 'mycel'
    const hay = `${name} ${description} ${keywords.join(' ')}`.toLowerCase()
    if (!words.every(w => hay.includes(w))) continue
    const score = words.length === 0 ? 1 : words.filter(w => name.includes(w)).length / words.length * 0.5 + 0.5
    hits.push({
      score,
      object: {
        package: { name, version: head.version, description, keywords, date: modifiedOf(p), links: {}, publisher: { username: publisher, email: '' }, maintainers: [{ username: publisher, email: '' }] },
        score: { final: score, detail: { quality: score, popularity: 0, maintenance: score } },
        searchScore: score
      }
    })
  }
  hits.sort((a, b) => b.score - a.score)
  const size = Math.max(1, Math.min(MAX_SEARCH_RESULTS, q.size))
  return { objects: hits.slice(q.from, q.from + size).map(h => h.object), total: hits.length, time: new Date().toUTCString() }
}
