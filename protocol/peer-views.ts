// What the replica knows of each peer it exchanges with: coverage and lag at
// its last report, and when we last synced or compared fingerprints. A view
// lives from the peer's first message or peerUp to its peerDown.

import type { VersionVectorEntries } from './messages.js'

export interface PeerView {
  /** The peer's coverage as it last told us (kept only with keepPeerVersionVectors). */
  vv?: VersionVectorEntries
  /** Events it had that we lacked / we had that it lacked, at its last report. */
  ahead?: number
  behind?: number
  lastSyncMs?: number
  /** When we last sent it our fingerprints (reconcile.ts). */
  lastFingerprintsMs?: number
}

export class PeerViews {
  private readonly views = new Map<string, PeerView>()
  private list: string[] | undefined

  /** The view of `id`, begun if we had none. */
  of (id: string): PeerView {
    let view = this.views.get(id)
    if (view === undefined) { view = {}; this.views.set(id, view); this.list = undefined }
    return view
  }

  get (id: string): PeerView | undefined {
    return this.views.get(id)
  }

  has (id: string): boolean {
    return this.views.has(id)
  }

  delete (id: string): void {
    if (this.views.delete(id)) this.list = undefined
  }

  /** The peers' ids, kept between changes: every push flush and round asks for them. Must not be modified. */
  ids (): readonly string[] {
    this.list ??= [...this.views.keys()]
    return this.list
  }

  /** The peers' ids, as a fresh array the caller may keep. */
  copyOfIds (): string[] {
    return [...this.views.keys()]
  }
}
