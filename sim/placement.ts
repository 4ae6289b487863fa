// Which sites hold a key's bytes under a `replicas: N` rule (rules.ts): the simulator's stand-in for
// protocol/placement.ts, which another branch is writing. The contract the replicas checker holds it
// to (checkers/replicas.ts) is all that matters here: a pure function of the key, the member list and
// N — so every replica with the same membership view computes the same holders, whatever order it
// lists its members in — returning min(N, members) distinct members. Swapping in the real one means
// changing the import in checkers/replicas.ts.
//
// Rendezvous hashing (highest random weight): each member scores hash(member, key); the N best hold
// it. A member joining or leaving moves only the keys it wins or held.

/** The members that hold `key`'s bytes: the `replicas` of highest score, best first. */
export function holdersFor (key: string, members: readonly string[], replicas: number): string[] {
  const scored = [...new Set(members)].map(m => ({ m, score: score(m, key) }))
  scored.sort((a, b) => b.score - a.score || (a.m < b.m ? -1 : a.m > b.m ? 1 : 0))
  return scored.slice(0, Math.max(0, replicas)).map(s => s.m)
}

/** FNV-1a over member, a separator no id contains, and key; then a murmur3 finalizer, so close ids spread. */
function score (member: string, key: string): number {
  let h = 0x811c9dc5
  const s = `${member}\u0000${key}`
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
