// The site report a runtime gossips (visibility/reports/), wired to its parts (runtime.ts).
import type { PrivateKey } from '@libp2p/interface'
import type { Replica } from '../../protocol/replica.js'
import { ReplicationPolicy } from '../blob/policy.js'
import type { BlobService } from '../blob/service.js'
import type { BlobStore } from '../blob/store.js'
import type { DaemonConfig } from '../config.js'
import type { SiteDirectory } from '../federation/site-directory.js'
import type { Logger } from '../log.js'
import type { Host } from '../net/host.js'
import type { Mesh } from '../net/mesh.js'
import { ed25519Signer, ed25519Verifier } from '../signing.js'
import { REAL_TIMERS } from '../time.js'
import { ownSite } from './own-site.js'
import type { VisibilityHub } from '../visibility/hub.js'
import { holdingsSummary, SUMMARY_EVERY_MS } from '../visibility/reports/holdings-summary.js'
import { quotaIsFull } from '../blob/quota-full.js'
import { MAX_REPORT_SITES, type ReportHoldings } from '../visibility/reports/report.js'
import { ReportGossip } from '../visibility/reports/report-gossip.js'

/**
 * Site reports (visibility/reports/): what this site sees and holds, signed and gossiped to every member,
 * so any node shows every site's state with the age of its report. The holdings part is summarised at
 * most every SUMMARY_EVERY_MS (one pass over the referenced blobs).
 */
export function siteReports (p: { peerId: string, privateKey: PrivateKey, config: DaemonConfig, blobs: BlobStore, blob: BlobService, vis: VisibilityHub, mesh: Mesh, host: Host, replica: Replica, sites: SiteDirectory, log: Logger }): ReportGossip {
  const policy = new ReplicationPolicy(p.config.replicate, p.config.replicatePrefixes)
  let holdings: ReportHoldings | null = null
  let summarisedAt = -Infinity
  let summarising = false
  const summarise = (): void => {
    if (summarising || performance.now() - summarisedAt < SUMMARY_EVERY_MS) return
    summarising = true
    holdingsSummary({ refs: () => p.blob.refs.all(), stored: async () => await p.blobs.list(), modeOf: keys => policy.modeOfKeys(keys), placed: hex => p.blob.isPlaced(hex) })
      .then(h => { holdings = h; summarisedAt = performance.now() }, err => { p.log.debug('holdings summary failed', { err }) })
      .finally(() => { summarising = false })
  }
  return new ReportGossip({
    selfId: p.peerId,
    host: p.host,
    signer: ed25519Signer(p.privateKey),
    verifier: ed25519Verifier(),
    own: () => {
      summarise()
      const views = p.vis.health.view().filter(v => !v.self).slice(0, MAX_REPORT_SITES)
      const held: ReportHoldings | null = holdings === null || !quotaIsFull(p.blob.quotaView(), Date.now()) ? holdings : { ...holdings, full: true }
      return { v: 1, author: p.peerId, name: p.sites.nameOf(p.peerId) ?? ownSite(p.config).name, sites: views.map(v => ({ peer: v.peerId, state: v.state, lag: v.lag?.ahead ?? null })), holdings: held }
    },
    isMember: peer => p.replica.members()?.roleNow(peer) !== undefined,
    connectedPeers: () => p.mesh.connectedPeers(),
    strike: (peer, why) => { p.mesh.strike(peer, why) },
    nowMs: Date.now,
    timers: REAL_TIMERS,
    log: p.log
  })
}
