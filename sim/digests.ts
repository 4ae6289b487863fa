// The judged nodes' state digests, as the run compares and charts them: do
// they all agree, and a sample of them all at one instant (cluster.ts asks,
// run.ts draws the convergence chart from the samples).

import type { ReplicaApi } from '../protocol/replica-api.js'
import type { SimNode } from './node.js'

export interface Sample {
  atMs: number
  live: number
  /**
   * Every live node's state digest, 32 bytes each, end to end. Raw bytes, not
   * a map of hex strings: which digest matters (the final one) is known only
   * at the end, and a thousand hex strings per sample were a quarter of the
   * simulator's live heap.
   */
  digests: Uint8Array
  /** Acknowledged writes not yet seen by every member. */
  backlog: number
}

/** Bytes of a state digest (state.ts: the XOR of the ids held). */
export const DIGEST_BYTES = 32

/** True when every judged node has the same digest and nothing is held back for clock offset. */
export function digestsAgree (judged: readonly SimNode[]): boolean {
  let first: Uint8Array | undefined
  for (const n of judged) {
    const d = (n.replica as ReplicaApi).digest()
    if (first === undefined) { first = d; continue }
    for (let k = 0; k < d.length; k++) if (d[k] !== first[k]) return false
  }
  for (const n of judged) if ((n.replica?.stats().heldNow ?? 0) > 0) return false
  return true
}

/** The judged nodes' digests end to end (for the convergence chart). */
export function sampleOf (judged: readonly SimNode[], atMs: number, backlog: number): Sample {
  const digests = new Uint8Array(judged.length * DIGEST_BYTES)
  judged.forEach((n, i) => digests.set((n.replica as ReplicaApi).digest(), i * DIGEST_BYTES))
  return { atMs, live: judged.length, digests, backlog }
}

/** How many of a sample's digests equal `digest`. */
export function holding (sample: Sample, digest: Uint8Array): number {
  let n = 0
  for (let at = 0; at < sample.digests.length; at += DIGEST_BYTES) {
    let k = 0
    while (k < DIGEST_BYTES && sample.digests[at + k] === digest[k]) k++
    if (k === DIGEST_BYTES) n++
  }
  return n
}

export function toHex (bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] as number).toString(16).padStart(2, '0')
  return s
}
