// The blob layer of a runtime (blob/service.ts), wired to its parts (runtime.ts).
import type { Replica } from '../../protocol/replica.js'
import { ReplicationPolicy } from '../blob/policy.js'
import { BlobService } from '../blob/service.js'
import { PLACEMENT_DOWN_GRACE_MS } from '../blob/constants.js'
import type { BlobStore } from '../blob/store.js'
import type { BlobMoved } from '../blob/types.js'
import type { DaemonConfig } from '../config.js'
import type { SiteDirectory } from '../federation/site-directory.js'
import type { Logger } from '../log.js'
import type { Host } from '../net/host.js'
import type { Mesh } from '../net/mesh.js'
import { beforeChunk } from '../testing/serve-gate.js'
import type { TestSwitches } from '../testing/switches.js'
import { REAL_CLOCK, REAL_RANDOM, REAL_TIMERS } from '../time.js'
import type { VisibilityHub } from '../visibility/hub.js'
import type { SiteHealthView } from '../visibility/types.js'

/** How often placement re-reads which sites report a full disk quota (reports come every few seconds). */
const FULL_SITES_EVERY_MS = 5_000

/**
 * Members placement demotes as down past PLACEMENT_DOWN_GRACE_MS, as this site sees them: unreachable
 * since longer than that, or never seen at all while this node has watched that long. A member never
 * seen (it went before this site joined, or before it first connected to it) would otherwise count as
 * up for ever here, while the sites that saw it go demote it: the next site in the order would then
 * not fetch at this site's word, and the factor stay short. Demoting more of the others only ever
 * makes this site a holder sooner, never later: at worst an extra copy.
 */
export function longDownOf (view: readonly SiteHealthView[], nowMs: number, watchingSinceMs: number): Set<string> {
  return new Set(view.filter(v => (v.state === 'unreachable' && v.sinceMs !== null && nowMs - v.sinceMs >= PLACEMENT_DOWN_GRACE_MS) ||
    (v.state === 'never-seen' && nowMs - watchingSinceMs >= PLACEMENT_DOWN_GRACE_MS)).map(v => v.peerId))
}

/** The blob layer: the same membership gate as sync (the host's); revoked peers' blob streams end with their sessions. */
export function blobService (init: { config: DaemonConfig, switches: TestSwitches }, c: { blobs: BlobStore, log: Logger, onBlobMoved?: BlobMoved }, parts: { host: Host, replica: Replica, mesh: Mesh, vis: VisibilityHub, sites: SiteDirectory }): BlobService {
  const { config, switches } = init
  const { mesh, vis, replica, sites } = parts
  const policy = new ReplicationPolicy(config.replicate, config.replicatePrefixes)
  const watchingSinceMs = Date.now()
  // Sites whose latest report says their disk quota is full; read at most every FULL_SITES_EVERY_MS.
  let full = { atMs: -Infinity, sites: new Set<string>() }
  const fullSites = (now: number): Set<string> => {
    if (now - full.atMs >= FULL_SITES_EVERY_MS) full = { atMs: now, sites: new Set(vis.sites().filter(r => r.report?.holdings?.full === true).map(r => r.peerId)) }
    return full.sites
  }
  return new BlobService({
    chunkBytes: config.blobChunkBytes,
    policy,
    graceMs: config.blobGraceMs,
    maxUploadBytesPerSec: config.maxUploadBytesPerSec,
    corruptChunks: switches.corruptChunks,
    beforeChunk: beforeChunk(switches, REAL_TIMERS),
    scrubIntervalMs: config.blobScrubIntervalMs,
    scrubBytesPerSec: config.blobScrubBytesPerSec,
    quotaBytes: config.quotaBytes
  }, {
    host: parts.host,
    blobs: c.blobs,
    replica: parts.replica,
    connectedPeers: () => mesh.connectedPeers(),
    describeHolder: peer => {
      const site = vis.health.view().find(v => v.peerId === peer)
      // The session as it is now (health's own state waits out a debounce before it says down).
      const state = mesh.connectedPeers().includes(peer) ? 'connected' : site?.state === 'unreachable' ? 'unreachable' : 'not connected'
      return { name: site?.name ?? null, state }
    },
    log: c.log,
    clock: REAL_CLOCK,
    timers: REAL_TIMERS,
    random: REAL_RANDOM,
    placement: {
      rules: () => replica.rules().set,
      winner: key => replica.get(key),
      members: () => {
        const now = Date.now()
        // Down past the grace, as this site sees it (longDownOf),
        // or out of space by its own latest report (blob/quota-full.ts): chosen after every other site.
        const longDown = longDownOf(vis.health.view(), now, watchingSinceMs)
        const full = fullSites(now)
        return (replica.members()?.members() ?? []).map(peer => ({ peer, demoted: longDown.has(peer) || full.has(peer) }))
      },
      modeOf: (peer, key) => sites.modeOf(peer, key)
    },
    events: {
      stored: (target, keys, progress, ms) => {
        for (const key of keys) vis.available(key, target.digest, target.size, policy.modeOf(key) !== 'none')
        if (progress !== undefined) vis.countBytes('blob', 'in', progress.bytesReceived)
        vis.observeFetch(ms / 1000, 'ok')
      },
      failed: (_target, ms) => { vis.observeFetch(ms / 1000, 'failed') },
      badChunks: (peer, count) => { mesh.strike(peer, `${count} bad blob chunk(s)`) },
      served: bytes => { vis.countBytes('blob', 'out', bytes); c.onBlobMoved?.('served', bytes) },
      received: bytes => { c.onBlobMoved?.('received', bytes) }
    }
  })
}
