// Who the mesh dials, and when. The dialer keeps the address book (peers.json: members met and where
// they listen) and, every maintainIntervalMs, makes sure of two things: every connected peer has our
// outbound sync session (the mesh opens it), and known members that are down are redialed while the
// mesh has room for them, each after PeerGuard's growing, jittered backoff. It also records where a
// member listens once its session is up (the address we dialed, and what identify reports).

import type { IdentifyResult } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { MycelError } from '../../protocol/errors.js'
import { errorText } from '../log.js'
import { AddressBook } from './address-book.js'
import type { Host } from './host.js'
import type { KnownPeer } from './mesh-api.js'
import { checkPeerAddr, parseDialAddr, parsePeerId, stripPeer, usableAddr } from './peer-addr.js'
import type { Counters } from './stats.js'

/** What the dialer asks of the mesh it dials for. */
export interface DialerHooks {
  /** The mesh runs; maintain() does nothing otherwise. */
  running: () => boolean
  /** Peers with a session up now. */
  connectedPeers: () => string[]
  isUp: (peer: string) => boolean
  allowed: (peer: string) => boolean
  /** The peer is connected but has no outbound session of ours, nor one being opened. */
  lacksOutbound: (peer: string) => boolean
  /** Open our outbound session on an existing connection; never rejects. */
  ensureOutbound: (peer: string) => Promise<void>
}

export class Dialer {
  private readonly host: Host
  private readonly hooks: DialerHooks
  private readonly counters: Counters
  private readonly book: AddressBook
  private readonly dialing = new Set<string>()
  private timer: ReturnType<typeof setInterval> | undefined

  constructor (init: { dir: string }, host: Host, counters: Counters, hooks: DialerHooks) {
    this.host = host
    this.hooks = hooks
    this.counters = counters
    this.book = new AddressBook({
      dir: init.dir,
      maxPeers: host.limits.maxKnownPeers,
      maxAddrsPerPeer: host.limits.maxAddrsPerPeer,
      onError: err => { host.log.warn('address book', { error: String(err) }) }
    })
  }

  async load (): Promise<void> {
    await this.book.load()
  }

  /** Starts the periodic maintain() and runs it once now. */
  start (): void {
    this.host.node.addEventListener('peer:identify', this.onIdentify)
    this.timer = setInterval(() => { this.maintain() }, this.host.limits.maintainIntervalMs)
    this.maintain()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.host.node.removeEventListener('peer:identify', this.onIdentify)
  }

  /** Waits for the address book's pending writes. */
  async flush (): Promise<void> {
    await this.book.flush()
  }

  /** Remember (persisted) and keep dialing with backoff. */
  addPeer (peerId: string, addrs: string[]): void {
    parsePeerId(peerId)
    if (peerId === this.host.peerId) return
    this.book.upsert(peerId, addrs.map(a => checkPeerAddr(a, peerId)))
    if (this.hooks.running()) this.maintain()
  }

  /** Dial a full multiaddr ending in /p2p/<id>; resolves with the peer id once connected. */
  async dial (addr: string): Promise<string> {
    const { target, peer } = parseDialAddr(addr, this.host.peerId)
    if (this.host.guard.isBanned(peer)) throw new MycelError('PERMISSION_DENIED', `peer ${peer} is banned for bad input`)
    this.counters.dials++
    try {
      await this.host.dial(target, { signal: AbortSignal.timeout(this.host.limits.dialTimeoutMs) })
    } catch (err) {
      this.counters.dialFailures++
      throw new MycelError('UNAVAILABLE', `could not dial ${addr}: ${errorText(err)}`, { cause: err })
    }
    // A joiner's session attempt that raced its admission was refused and backed off; the dial
    // after admission opens the session at once instead of a backoff later (~0.4 s per join).
    this.host.guard.forgive(peer)
    void this.hooks.ensureOutbound(peer)
    return peer
  }

  knownPeers (): KnownPeer[] {
    const out = new Map<string, KnownPeer>()
    for (const record of this.book.list()) {
      out.set(record.peerId, { ...record, addrs: [...record.addrs], connected: this.hooks.isUp(record.peerId) })
    }
    for (const peer of this.hooks.connectedPeers()) {
      if (!out.has(peer)) out.set(peer, { peerId: peer, addrs: [], connected: true })
    }
    return [...out.values()]
  }

  get knownCount (): number {
    return this.book.list().length
  }

  /**
   * Record a member: the address we dialed it on, plus its listen addresses from the peer store
   * (identify fills it, usually before the session is up; onIdentify catches the later case).
   */
  remember (peer: string, lastSeenMs: number): void {
    const id = parsePeerId(peer)
    const addrs: string[] = []
    for (const conn of this.host.connections(id)) {
      if (conn.direction === 'outbound') addrs.push(stripPeer(conn.remoteAddr.toString(), peer))
    }
    this.book.upsert(peer, addrs, lastSeenMs)
    this.host.node.peerStore.get(id).then(info => {
      const listen = info.addresses.map(a => stripPeer(a.multiaddr.toString(), peer)).filter(usableAddr)
      if (listen.length > 0 && this.book.has(peer)) this.book.upsert(peer, listen)
    }).catch(() => {}) // not in the peer store yet: onIdentify will record it
  }

  /** Periodic: open missing outbound sessions; dial known members that are down, within maxPeers. */
  maintain (): void {
    if (!this.hooks.running()) return
    const connected = new Set(this.host.connections().map(c => c.remotePeer.toString()))
    for (const peer of connected) {
      if (this.hooks.lacksOutbound(peer)) void this.hooks.ensureOutbound(peer)
    }
    let budget = this.host.maxPeers - this.hooks.connectedPeers().length - this.dialing.size
    const candidates = this.book.list()
      .filter(r => !connected.has(r.peerId) && !this.dialing.has(r.peerId) && r.peerId !== this.host.peerId && this.hooks.allowed(r.peerId))
      .sort((a, b) => (b.lastSeenMs ?? 0) - (a.lastSeenMs ?? 0))
    for (const record of candidates) {
      if (budget <= 0) break
      if (!this.host.guard.canAttempt(record.peerId)) continue
      budget--
      void this.redial(record.peerId, record.addrs)
    }
  }

  private async redial (peer: string, addrs: string[]): Promise<void> {
    this.dialing.add(peer)
    this.counters.dials++
    try {
      const target = addrs.length > 0 ? addrs.map(a => multiaddr(`${a}/p2p/${peer}`)) : parsePeerId(peer)
      await this.host.dial(target, { signal: AbortSignal.timeout(this.host.limits.dialTimeoutMs) })
      await this.hooks.ensureOutbound(peer)
    } catch (err) {
      this.counters.dialFailures++
      const delayMs = this.host.guard.failed(peer)
      this.host.log.debug('redial failed', { peer, delayMs, error: errorText(err) })
    } finally {
      this.dialing.delete(peer)
    }
  }

  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    const peer = evt.detail.peerId.toString()
    if (!this.hooks.isUp(peer) && !this.book.has(peer)) return
    const addrs = evt.detail.listenAddrs.map(ma => stripPeer(ma.toString(), peer)).filter(usableAddr)
    if (addrs.length > 0) this.book.upsert(peer, addrs)
  }
}
