// Fanout on capped uplinks (the Kraken property): the origin publishes one large blob and every other
// site mirrors it (eager). With swarming (docs/blobs.md, "Partial holders") mirrors serve each other
// the chunks they already verified, so the origin's capped uplink sends little more than one copy and
// every site holds the blob in not much more than the time one copy takes at that cap.
//
//   sites-fanout-copies   bytes the origin's uplink sent during the fanout / blob size   target <= 1.3
//   sites-fanout-ratio    time until the last site holds it verified / (size / origin's cap)   <= 1.5

import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { randomFile } from '../bench/bench-blob.js'
import type { Fleet } from './fleet.js'
import { publishFile } from './publish-file.js'
import { atMost, rateBits, round, type ScenarioResult } from './report.js'
import { whenEach } from './waits.js'

export interface FanoutOptions {
  sizeBytes: number
  uplink?: string
}

export async function fanout (fleet: Fleet, options: FanoutOptions): Promise<ScenarioResult> {
  const [origin, ...mirrors] = fleet.sites
  const file = join(origin.node.dir, 'fanout.bin')
  await randomFile(file, options.sizeBytes)
  const txBefore = await fleet.topology.txBytes(origin.net)
  const published = await publishFile(origin, 'sites/fanout.bin', file)
  await rm(file)
  const since = performance.now()
  const oneCopyS = options.uplink === undefined ? undefined : options.sizeBytes * 8 / rateBits(options.uplink)
  const timeoutMs = Math.max(120_000, (oneCopyS ?? 0) * 1000 * 10)
  const held = await whenEach('fanout: every site holds the blob verified', mirrors, async site => {
    const res = await site.node.api<{ local: string }>('GET', `/v1/blobs/${encodeURIComponent(published.digest)}`)
    return res.body.local === 'complete'
  }, since, timeoutMs)
  const lastS = Math.max(...held.values()) / 1000
  const sentBytes = await fleet.topology.txBytes(origin.net) - txBefore
  const copies = sentBytes / options.sizeBytes
  const figures: Record<string, unknown> = {
    sizeMiB: round(options.sizeBytes / 2 ** 20),
    digest: published.digest,
    originSentMiB: round(sentBytes / 2 ** 20),
    'sites-fanout-copies': round(copies),
    lastSiteS: round(lastS),
    perSiteS: Object.fromEntries([...held].map(([s, ms]) => [s.name, round(ms / 1000)]))
  }
  const targets = [atMost('sites-fanout-copies', copies, 1.3)]
  if (oneCopyS !== undefined) {
    figures.oneCopyAtCapS = round(oneCopyS)
    figures['sites-fanout-ratio'] = round(lastS / oneCopyS)
    targets.push(atMost('sites-fanout-ratio', lastS / oneCopyS, 1.5))
  }
  return { figures, checks: [{ name: 'every site holds the blob verified', ok: true, value: held.size, target: `${mirrors.length} sites` }], targets }
}
