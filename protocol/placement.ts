// The replication factor's placement (rules.ts `replicas`, issue #21): which sites hold the bytes of
// a key, chosen the same way at every site from the same inputs, so no site has to ask another.
//
//   holders = [the author of the winning put, if it may hold] ++ the other candidates by
//             rendezvous (highest-random-weight) hashing of (digest, peer), the first `replicas` of them
//
// Why rendezvous hashing: each site's place in the order depends only on the digest and its own id,
// so a change of membership moves the fewest copies. A site that leaves takes its place with it and
// the next one in the order steps in (one new copy); a site that joins displaces only the holders it
// outranks. The weight is the sha-256 of the digest and the peer id: no site can choose where it falls
// for a digest it did not write, and a put's author cannot steer its copies except by choosing bytes.
//
// Why the author first: it holds the bytes already (it published them and keeps them whatever its
// policy: daemon/blob/service.ts afterServe), so putting it first makes the factor cost N - 1
// transfers, not N. When the author leaves, the others' order is unchanged, so the N - 1 sites that
// held besides it keep holding and one more is chosen: the same one-new-copy cost as any other leave.
//
// Why the digest and not the key: the bytes are what is kept; one blob under two keys lands on the
// same sites, stored once.
//
// Candidates: current members (a role now: not revoked, not suspended) whose announced policy for
// the key is not `none` — a site that said it keeps no bytes of these keys is never asked to. The
// author is a candidate whatever its policy (it has the bytes). A member with no site record yet is
// a candidate: leaving it out would make every other site rank itself higher than it is, and fetch
// a copy it will not need once the record arrives.
//
// `demoted` sites (down for longer than a grace, or out of space: the driver's view, gossiped, not
// agreed) come after every other candidate, in their own rendezvous order. So two sites can briefly
// disagree on the holders — each fetches if it thinks it is one — which costs at most an extra copy,
// never a missing one: copies are kept, not moved, when a site stops being a holder.
//
// Pure: no I/O, no clock. O(members) hashes per call.

import type { ReplicateMode } from './event.js'
import { sha256 } from './sha256.js'

export interface PlacementMember {
  peer: string
  /** Its announced mode for the key; undefined: it has announced no policy yet. */
  mode?: ReplicateMode
  /** Down for longer than the grace, or out of space: chosen only after every other candidate. */
  demoted?: boolean
}

export interface PlacementInput {
  /** sha-256 of the bytes (the put's digest). */
  digest: Uint8Array
  /** The rule's factor: how many sites hold the bytes. */
  replicas: number
  /** The author of the winning put. */
  author: string
  /** Current members, in any order (each once). */
  members: readonly PlacementMember[]
}

/** The sites that hold the bytes, best first: at most `replicas`, fewer if fewer can. */
export function placeHolders (input: PlacementInput): string[] {
  return rankCandidates(input).slice(0, Math.max(0, input.replicas))
}

/** Every candidate in placement order (the holders are its first `replicas`). */
export function rankCandidates (input: Omit<PlacementInput, 'replicas'>): string[] {
  const ranked: Array<{ peer: string, first: boolean, demoted: boolean, weight: Uint8Array }> = []
  for (const m of input.members) {
    const isAuthor = m.peer === input.author
    if (!isAuthor && m.mode === 'none') continue
    const demoted = m.demoted === true
    ranked.push({ peer: m.peer, first: isAuthor && !demoted, demoted, weight: weightOf(input.digest, m.peer) })
  }
  ranked.sort((a, b) =>
    Number(b.first) - Number(a.first) ||
    Number(a.demoted) - Number(b.demoted) ||
    compareBytes(b.weight, a.weight) ||
    (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
  return ranked.map(r => r.peer)
}

const encoder = new TextEncoder()

/** A peer's rendezvous weight for a digest: sha-256(digest ‖ utf8(peer)); higher ranks first. */
export function weightOf (digest: Uint8Array, peer: string): Uint8Array {
  const id = encoder.encode(peer)
  const input = new Uint8Array(digest.length + id.length)
  input.set(digest)
  input.set(id, digest.length)
  return sha256(input)
}

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}
