// What this site holds, and what its own policy says it should hold but lacks, for its site report
// (report.ts): one pass over the referenced blobs (BlobRefs) against the blob store's listing.
// O(referenced blobs) and one readdir; the daemon runs it at most every SUMMARY_EVERY_MS.

import type { ReplicateMode } from '../../../protocol/event.js'
import type { BlobRef } from '../../blob/refs.js'
import type { ReportHoldings } from './report.js'

export const SUMMARY_EVERY_MS = 30_000

export interface HoldingsSummaryParts {
  refs: () => Iterable<BlobRef>
  /** Hex digests of the blobs stored here. */
  stored: () => Promise<string[]>
  /** This site's mode for a blob under these keys (the most keeping one). */
  modeOf: (keys: Iterable<string>) => ReplicateMode
  /** Whether a replication factor chose this site to hold the blob of this digest hex (placement-keeper.ts). */
  placed?: (hex: string) => boolean
}

export async function holdingsSummary (p: HoldingsSummaryParts): Promise<ReportHoldings> {
  const held = new Set(await p.stored())
  const out: ReportHoldings = { heldBlobs: 0, heldBytes: 0, missingKeys: 0, missingBytes: 0 }
  for (const ref of p.refs()) {
    const hex = Buffer.from(ref.digest).toString('hex')
    if (held.has(hex)) {
      out.heldBlobs++
      out.heldBytes += ref.size
    } else if (p.modeOf(ref.keys()) === 'eager' || p.placed?.(hex) === true) {
      out.missingKeys += ref.keyCount
      out.missingBytes += ref.size
    }
  }
  return out
}
