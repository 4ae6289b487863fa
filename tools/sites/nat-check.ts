// The NAT'd sites work (issue #26): each one, which nobody can dial, holds a reservation on a member's
// relay (its announced address is a /p2p-circuit one), serves a blob it published to a reachable site,
// and fetches one published at the founder. The bytes are checked against their sha-256 at the far end.

import { createHash, randomBytes } from 'node:crypto'
import { token } from '../bench/bench-blob.js'
import type { Fleet, Site } from './fleet.js'
import { type Check } from './report.js'
import { whenEach } from './waits.js'

const BLOB_BYTES = 2 * 1024 * 1024
const WAIT = '120s'
const KEY_TIMEOUT_MS = 120_000

export async function natCheck (fleet: Fleet): Promise<{ checks: Check[], figures: Record<string, unknown> }> {
  const checks: Check[] = []
  const figures: Record<string, unknown> = {}
  const reachable = fleet.sites.filter(s => !s.net.nat)
  for (const nat of fleet.sites.filter(s => s.net.nat)) {
    const other = reachable[1] ?? reachable[0]
    const status = await nat.node.api<{ listen: string[] }>('GET', '/v1/status')
    const relayed = status.body.listen.filter(a => a.includes('/p2p-circuit'))
    figures[`${nat.name}.listen`] = status.body.listen
    checks.push({ name: `${nat.name} (NAT) is reachable through a member's relay`, ok: relayed.length > 0, value: relayed[0] ?? 'no circuit address', target: 'a /p2p-circuit address' })
    checks.push(await served(nat, other, `${nat.name} (NAT) serves a blob it published to ${other.name}`))
    checks.push(await served(fleet.sites[0], nat, `${nat.name} (NAT) fetches a blob published at ${fleet.sites[0].name}`))
  }
  return { checks, figures }
}

/** Publishes random bytes at `from`; `to` fetches them; ok when the sha-256 matches. */
async function served (from: Site, to: Site, name: string): Promise<Check> {
  const bytes = new Uint8Array(randomBytes(BLOB_BYTES))
  const want = createHash('sha256').update(bytes).digest('hex')
  const key = encodeURIComponent(`sites/nat-check/${from.name}-${want.slice(0, 8)}`)
  const res = await apiFetch(from, 'PUT', `/v1/keys/${key}`, bytes)
  if (res.status !== 201) return { name, ok: false, value: `publish answered ${res.status}`, target: 'the same sha-256' }
  try {
    // The far end serves a blob once it knows a live key for it: the key's metadata first.
    await whenEach(`${to.name} learns the key published at ${from.name}`, [to], async s => (await apiFetch(s, 'GET', `/v1/keys/${key}`)).status === 200, performance.now(), KEY_TIMEOUT_MS)
    const got = await content(to, (await res.json() as { digest: string }).digest)
    return { name, ok: got === want, value: got === want ? 'same sha-256' : `sha-256 ${got}`, target: 'the same sha-256' }
  } catch (err) {
    return { name, ok: false, value: (err as Error).message, target: 'the same sha-256' }
  }
}

async function apiFetch (site: Site, method: string, path: string, body?: Uint8Array<ArrayBuffer>): Promise<Response> {
  return await fetch(`${site.node.ready?.api ?? ''}${path}`, { method, headers: { authorization: `Bearer ${await token(site.node)}` }, body })
}

async function content (site: Site, digest: string): Promise<string> {
  const res = await apiFetch(site, 'GET', `/v1/blobs/${encodeURIComponent(digest)}/content?wait=${WAIT}`)
  if (res.status !== 200) throw new Error(`GET content at ${site.name} answered ${res.status}: ${await res.text()}`)
  return createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')
}
