// The rules scenario's writers (scenarios.ts): Poisson arrivals at the knob rate, as in workload.ts,
// on keys under the rule sets an admin writes (rulesFor; the first at the start, the second partway),
// each arrival one of:
//   create    1–3 nodes at once put the same immutable key, with the same bytes or others: concurrent
//             creates across partitions and skewed clocks, republishes (no write where the key is held
//             already), conflicts refused where it is held with other bytes
//   delete    an immutable key deleted by an admin (it may then be created again) or by a writer
//             (refused where the writer knows the rule, void where it does not)
//   snapshot  a put in a folder under retention: a new key or a new version of one (honest nodes only:
//             a Byzantine member's version, voided later, would leave retention's earlier choices
//             without the keys they counted on — checkers/retention.ts)
//   replica   a put under the replicas rule
//   plain     a put or delete of a key no rule governs
// and every retentionEveryMs, one honest writer that is up runs retention on its own state
// (protocol/retention.ts, the daemon's planner) and writes the conditional deletes it plans.

import type { DeleteBody, PutBody } from '../protocol/event.js'
import type { Rule } from '../protocol/rules.js'
import type { Cluster } from './cluster.js'
import type { Knobs, RulesKnobs } from './knobs.js'
import type { Prng } from './prng.js'
import { initialRole } from './federation/federation.js'
import { planRetention, retentionDeleteBody } from '../protocol/retention.js'

/** The prefixes the rule sets govern. */
export const IMMUTABLE = 'rel/'
export const PINNED = 'pin/'
export const RETAINED = 'snap/'
export const REPLICATED = 'rep/'

/** The scenario's rule sets: the first; the second (`later`) also makes PINNED immutable, refusing deletes, and changes the replica count. */
export function rulesFor (k: RulesKnobs, nodes: number, later: boolean): Rule[] {
  const rules: Rule[] = [
    { prefix: IMMUTABLE, immutable: true },
    { prefix: RETAINED, retention: { keep: k.keep } },
    { prefix: REPLICATED, replicas: Math.max(1, Math.min(nodes, later ? 3 : 2)) }
  ]
  if (later) rules.push({ prefix: PINNED, immutable: true, deletes: 'refuse' })
  return rules
}

export class RulesWorkload {
  issued = 0
  /** Writes whose node was down or gone. */
  refused = 0
  /** Writes a running node's core declined: a conflict with an immutable key, the same bytes again, a delete or a role the rules refuse. */
  declined = 0
  retentionDeletes = 0
  private readonly cluster: Cluster
  private readonly k: Knobs
  private readonly rk: RulesKnobs
  private readonly r: Prng
  private readonly canWrite: (node: number) => boolean

  constructor (cluster: Cluster, knobs: Knobs, random: Prng, canWrite: (node: number) => boolean) {
    if (knobs.rules === undefined) throw new Error('assertion failed: the rules workload without rules knobs')
    this.cluster = cluster
    this.k = knobs
    this.rk = knobs.rules
    this.r = random
    this.canWrite = canWrite
  }

  start (): void {
    if (this.k.writes > 0) this.cluster.at(this.r.exponential(1000 / this.k.ratePerSec), () => this.arrive())
    this.cluster.at(this.rk.retentionEveryMs, () => this.retention())
  }

  private arrive (): void {
    if (this.issued >= this.k.writes || this.cluster.now() >= this.k.durationMs) return
    this.issued++
    const roll = this.r.float()
    if (roll < 0.3) this.create()
    else if (roll < 0.38) this.deleteImmutable()
    else if (roll < 0.68) this.snapshot()
    else if (roll < 0.83) this.write(this.anyNode(), put(`${REPLICATED}${this.r.int(this.rk.replicatedKeys)}`, 3, this.r.int(4)))
    else this.plain()
    const next = this.cluster.now() + this.r.exponential(1000 / this.k.ratePerSec)
    if (this.issued < this.k.writes && next < this.k.durationMs) this.cluster.at(next, () => this.arrive())
  }

  /** The same immutable key at 1–3 nodes at once, each with bytes of 3 variants. */
  private create (): void {
    const pinned = this.r.chance(0.3)
    const i = this.r.int(pinned ? this.rk.pinnedKeys : this.rk.immutableKeys)
    const key = `${pinned ? PINNED : IMMUTABLE}${i}`
    const n = this.cluster.nodes.length
    for (const node of this.r.sample(n, Math.min(n, 1 + this.r.int(3)))) this.write(node, put(key, pinned ? 1 : 0, this.r.int(3)))
  }

  private deleteImmutable (): void {
    const key = this.r.chance(0.3) ? `${PINNED}${this.r.int(this.rk.pinnedKeys)}` : `${IMMUTABLE}${this.r.int(this.rk.immutableKeys)}`
    // Half by an admin (n0 or n1), half by whoever.
    const node = this.r.chance(0.5) ? this.r.int(Math.min(2, this.cluster.nodes.length)) : this.anyNode()
    this.write(node, { kind: 'delete', key })
  }

  private snapshot (): void {
    const key = `${RETAINED}f${this.r.int(this.rk.folders)}/${this.r.int(this.rk.keysPerFolder)}`
    const honest = this.cluster.nodes.map(x => x.index).filter(j => !this.cluster.isByzantine(j))
    this.write(honest[this.r.int(honest.length)] as number, put(key, 2, this.r.int(256)))
  }

  private plain (): void {
    const key = `k${this.r.int(8)}`
    this.write(this.anyNode(), this.r.chance(0.2) ? { kind: 'delete', key } : put(key, 4, this.r.int(256)))
  }

  private anyNode (): number {
    return this.r.int(this.cluster.nodes.length)
  }

  private write (node: number, body: PutBody | DeleteBody): void {
    if (!this.canWrite(node) || this.cluster.nodes[node]?.status !== 'up') this.refused++
    else if (this.cluster.write(node, body) === undefined) this.declined++
  }

  /** One honest writer that is up plans retention from its own state and writes the deletes. */
  private retention (): void {
    const c = this.cluster
    if (c.now() >= this.k.durationMs) return
    c.at(c.now() + this.rk.retentionEveryMs, () => this.retention())
    const runners = c.nodes.filter(n => n.status === 'up' && !c.isByzantine(n.index) && this.canWrite(n.index) && (n.index >= this.k.nodes || initialRole(n.index) !== 'reader'))
    if (runners.length === 0) return
    const node = runners[this.r.int(runners.length)]
    const replica = node?.replica
    if (node === undefined || replica === undefined) return
    const rules = replica.rules?.().set
    if (rules === undefined) return
    for (const d of planRetention(replica.live(''), rules, node.clock.nowMs()).deletes) {
      if (c.write(node.index, retentionDeleteBody(d)) !== undefined) this.retentionDeletes++
    }
  }
}

/** A put whose bytes are told apart by a tag (which key space), the key's and the variant's numbers. */
function put (key: string, tag: number, variant: number): PutBody {
  const digest = new Uint8Array(32)
  digest[0] = 0xa0 + tag
  digest[1] = variant
  for (let i = 0; i < key.length; i++) digest[2 + (i % 30)] ^= key.charCodeAt(i)
  return { kind: 'put', key, digest, size: 1 + variant, props: {} }
}
