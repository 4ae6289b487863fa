// How members find each other beyond their inviter. Each node writes its own
// listen addresses as an `addrs` event (key mycel:addrs/<peer id>, last writer
// wins); the event replicates like any other, and every node hands the
// addresses it learns to the mesh, which remembers and dials them. So a
// joiner that only knew its inviter soon knows every member, and the mesh
// stays whole when the inviter goes away.

import { isMycelError } from '../../protocol/errors.js'
import { addrsKey, type Event } from '../../protocol/event.js'
import { MAX_ADDR_BYTES, MAX_ADDRS } from '../../protocol/limits.js'
import type { ReplicaApi } from '../../protocol/replica-api.js'
import type { Logger } from '../log.js'

export interface AddressGossipComponents {
  replica: Pick<ReplicaApi, 'get' | 'write'>
  mesh: { addPeer: (peerId: string, addrs: string[]) => void, listenAddrs: () => string[] }
  log: Logger
}

export class AddressGossip {
  private readonly selfId: string
  private readonly c: AddressGossipComponents

  constructor (selfId: string, components: AddressGossipComponents) {
    this.selfId = selfId
    this.c = components
  }

  /** Feeds every stored addrs event to the mesh (on start, from the snapshot). */
  learnAll (events: Iterable<Event>): void {
    for (const e of events) this.learn(e)
  }

  /** Observer hook: an event became the winner of its key. */
  learn (event: Event): void {
    if (event.body.kind !== 'addrs' || event.author === this.selfId) return
    try {
      this.c.mesh.addPeer(event.author, event.body.addrs)
    } catch (err) {
      this.c.log.debug('ignored addresses of a member', { member: event.author, err })
    }
  }

  /** Writes our addresses if they differ from what we last announced. */
  announce (): void {
    const addrs = this.c.mesh.listenAddrs()
      .map(a => a.replace(/\/p2p\/[^/]+$/, ''))
      .filter(a => Buffer.byteLength(a) <= MAX_ADDR_BYTES)
      .slice(0, MAX_ADDRS)
    if (addrs.length === 0) return
    const key = addrsKey(this.selfId)
    const current = this.c.replica.get(key)
    if (current?.body.kind === 'addrs' && sameSet(current.body.addrs, addrs)) return
    try {
      this.c.replica.write({ kind: 'addrs', key, addrs })
    } catch (err) {
      // A joiner starts before it has seen its own grant; it announces again once it has (gate `changed`).
      if (isMycelError(err, 'PERMISSION_DENIED')) this.c.log.debug('not a member yet: addresses announced once admitted')
      else this.c.log.warn('could not announce our addresses', { err })
    }
  }
}

function sameSet (a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n')
}
