// Who the members are, for `where`, the status page and the metrics. With a
// membership view (a federation with a genesis: docs/federation.md) the
// members are its current grantees with their roles. Without one (an open
// mesh) they are this node, the peers it is connected to and the peers its
// address book knows — which includes every member that announced its
// addresses (address-gossip.ts) — with role null.

import type { SyncMember } from './types.js'

export interface MembershipView {
  list: () => Array<{ peer: string, role?: string, revokedAt?: unknown }>
}

export interface MemberSourceComponents {
  selfId: string
  membership: () => MembershipView | undefined
  connectedPeers: () => string[]
  knownPeers: () => Array<{ peerId: string }>
  /** A member's site name, when it named itself. */
  nameOf?: (peerId: string) => string | undefined
}

export function listMembers (c: MemberSourceComponents, max: number): SyncMember[] {
  const connected = new Set(c.connectedPeers())
  const roles = new Map<string, string | null>()
  const view = c.membership()
  if (view !== undefined) {
    for (const m of view.list()) if (m.revokedAt === undefined && m.role !== undefined) roles.set(m.peer, m.role)
  } else {
    for (const p of connected) roles.set(p, null)
    for (const p of c.knownPeers()) roles.set(p.peerId, null)
  }
  const named = (peerId: string): { name?: string } => { const name = c.nameOf?.(peerId); return name === undefined ? {} : { name } }
  const self: SyncMember = { peerId: c.selfId, ...named(c.selfId), role: roles.get(c.selfId) ?? null, connected: false, self: true }
  roles.delete(c.selfId)
  const others = [...roles].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([peerId, role]) => ({ peerId, ...named(peerId), role, connected: connected.has(peerId), self: false }))
  return [self, ...others].slice(0, max)
}
