// Byzantine members: nodes that run the real core but also lie, each attack
// one the trust model must contain (docs/federation.md, threat model):
//
//   equivocate  some of its writes get a twin (same seq, other content); pushes
//               carry one twin to some peers and the other to the rest, unrelayed
//   backdate    now and then signs a write stamped 20 s in the past with its
//               next seq, and pushes it for relaying (a revoked member's trick)
//   replay      copies a token grant it has seen (token and claim) into a grant
//               of its own for a sock-puppet key
//   forge-acks  sends acknowledgement rows in other members' names
//   withhold    drops most of the events it should push or answer with
//   flood       pushes junk: events signed in others' names, grants with no
//               claim, events stamped far ahead
//   overwrite   (only where rules make keys immutable) signs what its own core
//               refuses to write: a put of other bytes over an immutable key, a
//               delete of one as a writer, and now and then a put stamped just
//               below the create (an earlier create, unless its own signed acks
//               prove it a backdater); each taken into its own core and pushed
//
// An adversary signs only as itself (sim/federation/crypto.ts): like a real
// insider, it holds its own key and reads what the log shows, nothing more.

import { signAck } from '../../protocol/acks.js'
import { signEvent } from '../../protocol/codec.js'
import { memberKey, type Event, type EventBody } from '../../protocol/event.js'
import { makeStamp, wallOf } from '../../protocol/hlc.js'
import type { SyncMessage } from '../../protocol/messages.js'
import type { ReplicaApi } from '../../protocol/replica-api.js'
import type { Signer } from '../../protocol/ports.js'
import type { Prng } from '../prng.js'

import { ATTACKS, type Attack } from './attacks.js'
export { ATTACKS, type Attack }

/** How often an adversary acts on its own (virtual ms). */
export const ADVERSARY_TICK_MS = 700
/** Junk events per flood. */
const FLOOD_EVENTS = 40

export interface AdversaryContext {
  id: string
  signer: Signer
  random: Prng
  attacks: ReadonlySet<Attack>
  /** The node's replica now (undefined while it is down). */
  replica: () => ReplicaApi | undefined
  /** Peers it is connected to. */
  peers: () => string[]
  /** Sends as this node, bypassing its own outgoing filter. */
  send: (to: string, message: SyncMessage) => void
  /** Token grants in the log (any member can read them). */
  tokenGrants: () => Event[]
  /** Other members' ids (for messages in their names). */
  members: () => string[]
  wallMs: () => number
  /** Hands an event it signed to its own core, as if heard from a peer (it then holds and serves it). */
  ingest: (e: Event) => void
  /** Tells the run's ground truth of an event it signed on its own (rules-log.ts). */
  signed: (e: Event) => void
}

/** What an overwrite attack signs (see the header). */
export type Overwrite = 'put' | 'delete' | 'backdate'
const OVERWRITES: readonly Overwrite[] = ['put', 'put', 'delete', 'backdate']

export class Adversary {
  /** Counts of what it tried, for the report. */
  readonly tried: Record<Attack, number> = { equivocate: 0, backdate: 0, replay: 0, 'forge-acks': 0, withhold: 0, flood: 0, overwrite: 0 }
  private readonly twins = new Map<number, Event>()
  private sockPuppets = 0

  constructor (private readonly c: AdversaryContext) {}

  /** One of its own writes went into its core: maybe make a twin of it. */
  wrote (e: Event): void {
    if (!this.c.attacks.has('equivocate') || !this.c.random.chance(0.3)) return
    const twin = signEvent({ v: 1, author: e.author, seq: e.seq, stamp: e.stamp, body: variant(e.body), ...(e.prev !== undefined ? { prev: e.prev } : {}) }, this.c.signer)
    this.twins.set(e.seq, twin)
    this.tried.equivocate++
  }

  /** What it really sends instead of `message` to `to` (undefined: nothing). */
  outgoing (to: string, message: SyncMessage): SyncMessage | undefined {
    if (this.c.attacks.has('withhold') && (message.type === 'push' || message.type === 'events') && this.c.random.chance(0.8)) {
      this.tried.withhold++
      return undefined
    }
    if (message.type !== 'push' || this.twins.size === 0) return message
    // Half the peers (by a hash of their id) get the twins, unrelayed.
    if ((hash(to) & 1) === 0) return message
    let changed = false
    const events = message.events.map(e => {
      const twin = e.author === this.c.id ? this.twins.get(e.seq) : undefined
      if (twin === undefined) return e
      changed = true
      return twin
    })
    return changed ? { type: 'push', events, ttl: 0 } : message
  }

  /** Its own initiative, every ADVERSARY_TICK_MS. */
  tick (): void {
    const r = this.c.replica()
    if (r === undefined) return
    const a = this.c.attacks
    const pick = this.c.random
    if (a.has('backdate') && pick.chance(0.15)) this.backdate(r)
    if (a.has('replay') && pick.chance(0.1)) this.replay(r)
    if (a.has('forge-acks') && pick.chance(0.2)) this.forgeAcks(r)
    if (a.has('flood') && pick.chance(0.05)) this.flood(r)
    // Only once rules make some key immutable: without them it draws nothing, so other runs are unchanged.
    if (a.has('overwrite') && r.rules?.().set.ordersKeys === true && pick.chance(0.3)) this.overwrite(r, pick.pick(OVERWRITES))
  }

  /**
   * Signs, over a live key an immutable rule holds (`key`, else one at random), what its own core would
   * refuse: another digest or a writer's delete, stamped above everything it has seen; or (`backdate`)
   * another digest stamped just below the create. Returns the event.
   */
  overwrite (r: ReplicaApi, kind: Overwrite, key?: string): Event | undefined {
    const rules = r.rules?.().set
    const target = key === undefined ? undefined : r.get(key)
    const candidates = target !== undefined ? [target] : r.live().filter(e => rules?.ruleFor(e.body.key)?.immutable === true)
    if (candidates.length === 0) return undefined
    const w = candidates.length === 1 ? candidates[0] as Event : candidates[this.c.random.int(candidates.length)] as Event
    if (w.body.kind !== 'put') return undefined
    const digest = new Uint8Array(w.body.digest)
    digest[31] = (digest[31] as number) ^ 0x5a
    const body: EventBody = kind === 'delete' ? { kind: 'delete', key: w.body.key } : { ...w.body, digest }
    // Backdated, it is an earlier create, indistinguishable from a concurrent one — unless its author
    // had signed an acknowledgement covering the create (stamped above it): then that proves it a
    // backdater (faults.ts), its own core first. Taken into its own core either way, so its next
    // write does not reuse the seq (a twin is the equivocate attack's business).
    const stamp = kind === 'backdate' ? w.stamp - 1n : r.highWater() + 1n
    const e = signEvent({ v: 1, author: this.c.id, seq: this.nextSeq(r), stamp, body }, this.c.signer)
    this.tried.overwrite++
    this.c.signed(e)
    this.c.ingest(e)
    this.pushAll([e], 2)
    return e
  }

  private nextSeq (r: ReplicaApi): number {
    return (r.versionVector().find(([a]) => a === this.c.id)?.[1] ?? 0) + 1
  }

  private pushAll (events: Event[], ttl: number): void {
    for (const p of this.c.peers()) this.c.send(p, { type: 'push', events, ttl })
  }

  private backdate (r: ReplicaApi): void {
    const body: EventBody = { kind: 'put', key: `k${this.c.random.int(8)}`, digest: new Uint8Array(32).fill(0xbd), size: 1, props: {} }
    const e = signEvent({ v: 1, author: this.c.id, seq: this.nextSeq(r), stamp: makeStamp(Math.max(1, wallOf(r.highWater()) - 20_000), 0), body }, this.c.signer)
    this.tried.backdate++
    this.pushAll([e], 2)
  }

  private replay (r: ReplicaApi): void {
    const grants = this.c.tokenGrants()
    if (grants.length === 0) return
    const g = grants[this.c.random.int(grants.length)] as Event
    if (g.body.kind !== 'member') return
    const puppet = `${this.c.id}-puppet${++this.sockPuppets}`
    const body: EventBody = { ...g.body, key: memberKey(puppet, g.body.key.slice(-32)), peer: puppet }
    const e = signEvent({ v: 1, author: this.c.id, seq: this.nextSeq(r), stamp: makeStamp(wallOf(g.stamp) - 1, 0), body }, this.c.signer)
    this.tried.replay++
    this.pushAll([e], 2)
  }

  private forgeAcks (r: ReplicaApi): void {
    const everything = r.versionVector()
    const rows = this.c.members().filter(m => m !== this.c.id).map(member =>
      signAck({ member, seq: everything.find(([a]) => a === member)?.[1] ?? 0, stamp: makeStamp(Math.floor(this.c.wallMs()) + 3_600_000, 0), vv: everything }, this.c.signer))
    this.tried['forge-acks']++
    for (const p of this.c.peers()) this.c.send(p, { type: 'acks', acks: rows, reply: false })
  }

  private flood (r: ReplicaApi): void {
    const others = this.c.members().filter(m => m !== this.c.id)
    if (others.length === 0) return
    const junk: Event[] = []
    for (let i = 0; i < FLOOD_EVENTS; i++) {
      const author = others[this.c.random.int(others.length)] as string
      // Signed by us in someone else's name: every honest member refuses it.
      junk.push(signEvent({ v: 1, author, seq: 1_000_000 + this.c.random.int(1_000_000), stamp: r.highWater() + 1n, body: { kind: 'put', key: `junk${i}`, digest: new Uint8Array(32), size: 0, props: {} } }, this.c.signer))
    }
    // A grant for a puppet with no token or claim: only an admin may write that, and it is none.
    const puppet = `${this.c.id}-flood${++this.sockPuppets}`
    junk.push(signEvent({ v: 1, author: this.c.id, seq: this.nextSeq(r), stamp: r.highWater() + 1n, body: { kind: 'member', key: memberKey(puppet, '0'.repeat(32)), peer: puppet, role: 'admin', seen: [] } }, this.c.signer))
    this.tried.flood++
    this.pushAll(junk, 1)
  }
}

function variant (body: EventBody): EventBody {
  if (body.kind === 'put') {
    const digest = new Uint8Array(body.digest)
    digest[31] = (digest[31] as number) ^ 0xff
    return { ...body, digest }
  }
  if (body.kind === 'delete') return { kind: 'put', key: body.key, digest: new Uint8Array(32).fill(0xee), size: 2, props: {} }
  return body
}

function hash (s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}
