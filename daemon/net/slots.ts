// Who may hold an inbound connection, and for how long (issue #17: 14 idle strangers filled libp2p's
// maxConnections, and a new site's join was refused). libp2p's own bounds count every connection
// alike, before it knows who is on the other end; this is mycel's accounting on top of them:
//
//   - A member (the membership gate says yes once Noise has proven its peer id) never counts against
//     strangers' slots; libp2p's maxConnections is raised by the strangers' share, so strangers can
//     never take the connections members need.
//   - A stranger (any other peer, and every connection still in its handshake) holds a slot only while
//     it proves itself: within `strangerDeadlineMs` it must become a member, or be in a join (a
//     /mycel/join stream being served holds its connection's slot). Otherwise it is closed.
//   - Strangers are bounded per IP and in all. A newcomer over either bound takes the slot of the
//     oldest stranger that is idle (not in a join) and has had `graceMs` to start one. So idle
//     strangers cannot keep anyone out, and a flood of new connections cannot push out a joiner
//     before it has had time to say why it came.
//   - Over the bound in all, hosts are served fairly first: a newcomer from an IP holding fewer
//     slots than the IP holding the most (by more than one) takes that IP's oldest idle slot, grace
//     or not; and the oldest idle stranger past its grace is taken only from an IP holding at least
//     as many slots as the newcomer's. So hosts that reconnect as fast as they are dropped (keeping
//     every slot younger than its grace) can deny slots only to their own IPs, and cannot push out a
//     joiner from a host holding fewer, however slow its handshake. Otherwise the newcomer is refused.
//
// Connections we dial are ours and are not counted. Entries are keyed by the remote address
// (ip/port), which is the same on libp2p's raw connection (the gater's) and its upgraded Connection.

import type { Connection, MultiaddrConnection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { MycelError } from '../../protocol/errors.js'
import type { NetLimits } from './limits.js'

type SlotLimits = Pick<NetLimits, 'strangerDeadlineMs' | 'strangerGraceMs' | 'maxStrangers' | 'maxStrangersPerIp'>

export interface SlotsComponents {
  /** Is this peer a member (the membership gate)? */
  isMember: (peer: string) => boolean
  /** Monotonic ms. */
  now: () => number
  /** Told of every stranger closed or refused (the shed ledger, a log line). */
  shed?: (peer: string, why: 'deadline' | 'evicted' | 'refused', ip: string) => void
}

interface Slot {
  key: string
  ip: string
  sinceMs: number
  maConn: MultiaddrConnection
  peer?: string
  member: boolean
  /** Join streams being served on this connection. */
  joins: number
}

export interface SlotStats {
  members: number
  strangers: number
  strangersInJoin: number
  closedAtDeadline: number
  evicted: number
  refused: number
}

/** How often strangers are looked at against their deadline. */
const SWEEP_MS = 500

export class ConnectionSlots {
  private readonly limits: SlotLimits
  private readonly c: SlotsComponents
  private readonly slots = new Map<string, Slot>()
  private readonly counts = { closedAtDeadline: 0, evicted: 0, refused: 0 }
  private timer: ReturnType<typeof setInterval> | undefined

  constructor (limits: SlotLimits, components: SlotsComponents) {
    this.limits = limits
    this.c = components
  }

  start (): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => { this.sweep() }, SWEEP_MS)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.slots.clear()
  }

  /** The gater's denyInboundConnection: true to refuse. Makes room by evicting an idle stranger if need be. */
  denyInbound (maConn: MultiaddrConnection): boolean {
    const key = maConn.remoteAddr.toString()
    const ip = ipOf(maConn.remoteAddr)
    this.refresh()
    const strangers = [...this.slots.values()].filter(s => !s.member)
    const sameIp = strangers.filter(s => s.ip === ip)
    // Full for this IP: one of its own idle strangers makes room (which frees one of all too).
    if (sameIp.length >= this.limits.maxStrangersPerIp) {
      if (!this.evictOldest(sameIp)) return this.refuse(ip)
    } else if (strangers.length >= this.limits.maxStrangers) {
      if (!this.evictFairly(strangers, sameIp.length)) return this.refuse(ip)
    }
    const slot: Slot = { key, ip, sinceMs: this.c.now(), maConn, member: false, joins: 0 }
    this.slots.set(key, slot)
    maConn.addEventListener('close', () => { if (this.slots.get(key) === slot) this.slots.delete(key) }, { once: true })
    return false
  }

  /** The gater's denyInboundEncryptedConnection: the peer is known now. Never refuses (bans are the gater's). */
  encrypted (peer: string, maConn: MultiaddrConnection): void {
    const slot = this.slots.get(maConn.remoteAddr.toString())
    if (slot === undefined) return
    slot.peer = peer
    slot.member = this.c.isMember(peer)
  }

  /** A join stream is being served on `connection`: it keeps its slot until release() is called. */
  holdForJoin (connection: Connection): () => void {
    const slot = this.slots.get(connection.remoteAddr.toString())
    if (slot === undefined) return () => {}
    slot.joins++
    let released = false
    return () => {
      if (released) return
      released = true
      slot.joins--
      slot.sinceMs = Math.max(slot.sinceMs, this.c.now() - this.limits.strangerDeadlineMs + this.limits.strangerGraceMs)
    }
  }

  get stats (): SlotStats {
    let members = 0
    let strangers = 0
    let strangersInJoin = 0
    for (const s of this.slots.values()) {
      if (s.member) members++
      else {
        strangers++
        if (s.joins > 0) strangersInJoin++
      }
    }
    return { members, strangers, strangersInJoin, ...this.counts }
  }

  /** Closes strangers past their deadline that neither became members nor are in a join. */
  sweep (): void {
    this.refresh()
    const now = this.c.now()
    for (const s of [...this.slots.values()]) {
      if (s.member || s.joins > 0 || now - s.sinceMs < this.limits.strangerDeadlineMs) continue
      this.counts.closedAtDeadline++
      this.close(s, 'deadline', `did not prove membership within ${this.limits.strangerDeadlineMs} ms`)
    }
  }

  /** A stranger that has since become a member (admitted by a join) stops counting as one. */
  private refresh (): void {
    for (const s of this.slots.values()) if (!s.member && s.peer !== undefined && this.c.isMember(s.peer)) s.member = true
  }

  /** Evicts the oldest idle stranger of `candidates` that has had `graceMs`; false if there is none. */
  private evictOldest (candidates: Slot[], graceMs = this.limits.strangerGraceMs, why = 'a newcomer needed the slot of an idle stranger'): boolean {
    const now = this.c.now()
    let oldest: Slot | undefined
    for (const s of candidates) {
      if (s.joins > 0 || now - s.sinceMs < graceMs) continue
      if (oldest === undefined || s.sinceMs < oldest.sinceMs) oldest = s
    }
    if (oldest === undefined) return false
    this.counts.evicted++
    this.close(oldest, 'evicted', why)
    return true
  }

  /**
   * Over the bound in all, for a newcomer whose IP holds `held` slots: the oldest idle stranger of the
   * busiest IP if that one holds more than held + 1, else the oldest idle one past its grace of an IP
   * holding at least `held`. False if there is none.
   */
  private evictFairly (strangers: Slot[], held: number): boolean {
    const perIp = new Map<string, number>()
    for (const s of strangers) perIp.set(s.ip, (perIp.get(s.ip) ?? 0) + 1)
    let busiestIp: string | undefined
    let most = 0
    for (const s of strangers) {
      const n = perIp.get(s.ip) ?? 0
      if (s.joins === 0 && n > most) { most = n; busiestIp = s.ip }
    }
    if (busiestIp !== undefined && most > held + 1) {
      return this.evictOldest(strangers.filter(s => s.ip === busiestIp), 0, 'a newcomer from a host holding fewer slots needed one of this host\'s')
    }
    return this.evictOldest(strangers.filter(s => (perIp.get(s.ip) ?? 0) >= held))
  }

  private refuse (ip: string): boolean {
    this.counts.refused++
    this.c.shed?.('', 'refused', ip)
    return true
  }

  private close (s: Slot, why: 'deadline' | 'evicted', message: string): void {
    this.slots.delete(s.key)
    this.c.shed?.(s.peer ?? '', why, s.ip)
    try {
      s.maConn.abort(new MycelError('CLOSED', message))
    } catch {
      // already closing
    }
  }
}

/** The IP address of a connection's remote multiaddr (its first ip4/ip6 component), else the whole address. */
export function ipOf (addr: Multiaddr): string {
  for (const c of addr.getComponents()) if ((c.name === 'ip4' || c.name === 'ip6') && c.value !== undefined) return c.value
  return addr.toString()
}
