// The mesh: the daemon's libp2p network layer. It keeps sync sessions with a bounded set of federation
// members and moves the core's SyncMessages between them; what to send and when is the core's business.
//
//   libp2p node ── connections ──┐
//   PeerState (one per peer)     ├─ outbound: OutboundSession (we write)   ─┐ both handshaken
//                                └─ inbound:  InboundSession  (we read)    ─┘ ⇒ peer is up
//   AddressBook (peers.json)  — members met, redialed by maintain() with PeerGuard's backoff
//   PeerGuard                 — strikes for bad input, growing bans, redial pacing
//
// A peer is reported up (handlers.peerUp) once our hello was welcomed and its hello accepted; down
// when either stream ends. Frames received before that wait in the inbox (bounded, stream paused).

import { multiaddr } from '@multiformats/multiaddr'
import { listenFailureText } from './listen-failure.js'
import type { Connection, IdentifyResult, Stream } from '@libp2p/interface'
import { MycelError, isMycelError } from '../../protocol/errors.js'
import type { SyncMessage } from '../../protocol/messages.js'
import { AddressBook } from './address-book.js'
import { coreCodec, type MessageCodec } from './codec.js'
import { encodeFrame } from './frame.js'
import { encodeHello, type Hello, type RefusalReason } from './hello.js'
import { createNode, type MeshLibp2p } from './libp2p-node.js'
import { DEFAULT_LIMITS, SYNC_PROTOCOL, type NetLimits } from './limits.js'
import { errorText, silentLog, type LogFn } from './log.js'
import { checkPeerAddr, parseDialAddr, parsePeerId, stripPeer, usableAddr } from './peer-addr.js'
import type { KnownPeer, Mesh, MeshHandlers, MeshInit } from './mesh-api.js'
import { PeerGuard } from './peer-guard.js'
import { InboundSession, OutboundSession, type SessionHost } from './session.js'
import { newCounters, sessionGauges, type Counters } from './stats.js'
import { Waiters } from './waiters.js'

export type { LogFn } from './log.js'
export type { MessageCodec } from './codec.js'
export type { KnownPeer, Mesh, MeshHandlers, MeshInit } from './mesh-api.js'

const MEMBER_TAG = 'mycel-member'

interface PeerState {
  outbound?: OutboundSession
  inbound?: InboundSession
  opening: boolean
  up: boolean
}

export async function createMesh (init: MeshInit, handlers: MeshHandlers): Promise<Mesh> {
  const limits: NetLimits = { ...DEFAULT_LIMITS, ...init.limits }
  const guard = new PeerGuard(limits, { now: Date.now, random: Math.random })
  const maxPeers = init.maxPeers ?? 16
  const node = await createNode({ privateKey: init.privateKey, listen: init.listen, maxPeers, limits, isBanned: p => guard.isBanned(p) })
  return new Libp2pMesh(init, handlers, limits, guard, node, maxPeers)
}

class Libp2pMesh implements Mesh, SessionHost {
  readonly peerId: string
  readonly libp2p: MeshLibp2p
  readonly limits: NetLimits
  readonly counters: Counters = newCounters()
  readonly codec: MessageCodec
  readonly log: LogFn
  private readonly init: MeshInit
  private readonly handlers: MeshHandlers
  private readonly guard: PeerGuard
  private readonly book: AddressBook
  private readonly maxPeers: number
  private readonly peers = new Map<string, PeerState>()
  private readonly dialing = new Set<string>()
  private readonly upWaiters = new Waiters()
  private timer: ReturnType<typeof setInterval> | undefined
  private running = false

  constructor (init: MeshInit, handlers: MeshHandlers, limits: NetLimits, guard: PeerGuard, node: MeshLibp2p, maxPeers: number) {
    this.init = init
    this.handlers = handlers
    this.limits = limits
    this.guard = guard
    this.libp2p = node
    this.maxPeers = maxPeers
    this.peerId = node.peerId.toString()
    this.codec = init.codec ?? coreCodec
    this.log = init.log ?? silentLog
    this.book = new AddressBook({
      dir: init.dir,
      maxPeers: limits.maxKnownPeers,
      maxAddrsPerPeer: limits.maxAddrsPerPeer,
      onError: err => this.log('warn', 'address book', { error: String(err) })
    })
  }

  // ── lifecycle ────────────────────────────────────────────────────────────

  async start (): Promise<void> {
    if (this.running) return
    await this.book.load()
    await this.libp2p.handle(SYNC_PROTOCOL, (stream, connection) => this.onInboundStream(stream, connection), {
      maxInboundStreams: this.limits.maxInboundStreams,
      maxOutboundStreams: this.limits.maxOutboundStreams
    })
    this.libp2p.addEventListener('connection:open', this.onConnectionOpen)
    this.libp2p.addEventListener('peer:identify', this.onIdentify)
    try {
      await this.libp2p.start()
    } catch (err) {
      this.libp2p.removeEventListener('connection:open', this.onConnectionOpen)
      this.libp2p.removeEventListener('peer:identify', this.onIdentify)
      await this.libp2p.unhandle(SYNC_PROTOCOL).catch(() => {})
      throw new MycelError('UNAVAILABLE', listenFailureText(err, this.init.listen), { cause: err })
    }
    this.running = true
    this.timer = setInterval(() => this.maintain(), this.limits.maintainIntervalMs)
    this.maintain()
    this.log('info', 'mesh started', { peerId: this.peerId, listen: this.listenAddrs() })
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    clearInterval(this.timer)
    this.timer = undefined
    this.libp2p.removeEventListener('connection:open', this.onConnectionOpen)
    this.libp2p.removeEventListener('peer:identify', this.onIdentify)
    const closing: Array<Promise<void>> = []
    for (const [peer, state] of this.peers) {
      this.markDown(peer, state)
      if (state.outbound !== undefined) closing.push(state.outbound.close(1_000))
    }
    await Promise.allSettled(closing)
    await this.libp2p.stop()
    this.peers.clear()
    this.upWaiters.failAll(new MycelError('CLOSED', 'mesh stopped'))
    await this.book.flush()
    this.log('info', 'mesh stopped', { peerId: this.peerId })
  }

  // ── the Mesh API ─────────────────────────────────────────────────────────

  send (to: string, message: SyncMessage): void {
    const outbound = this.peers.get(to)?.outbound
    if (outbound === undefined || !this.isUp(to)) {
      this.counters.dropsNotConnected++
      return
    }
    let payload: Uint8Array
    try {
      payload = this.codec.encode(message)
    } catch (err) {
      this.counters.encodeFailures++
      this.log('error', 'message did not encode', { peer: to, type: message.type, error: String(err) })
      return
    }
    if (payload.byteLength > this.limits.maxFrameBytes) {
      this.counters.dropsTooLarge++
      this.log('warn', 'message over the frame cap dropped', { peer: to, type: message.type, bytes: payload.byteLength })
      return
    }
    if (!outbound.enqueue(encodeFrame(payload))) this.counters.dropsQueueFull++
  }

  addPeer (peerId: string, addrs: string[]): void {
    parsePeerId(peerId)
    if (peerId === this.peerId) return
    this.book.upsert(peerId, addrs.map(a => checkPeerAddr(a, peerId)))
    if (this.running) this.maintain()
  }

  async dial (addr: string): Promise<string> {
    const { target, peer } = parseDialAddr(addr, this.peerId)
    if (this.guard.isBanned(peer)) throw new MycelError('PERMISSION_DENIED', `peer ${peer} is banned for bad input`)
    this.counters.dials++
    try {
      await this.libp2p.dial(target, { signal: AbortSignal.timeout(this.limits.dialTimeoutMs) })
    } catch (err) {
      this.counters.dialFailures++
      throw new MycelError('UNAVAILABLE', `could not dial ${addr}: ${errorText(err)}`, { cause: err })
    }
    // A joiner's session attempt that raced its admission was refused and backed off; the dial
    // after admission opens the session at once instead of a backoff later (~0.4 s per join).
    this.guard.forgive(peer)
    void this.ensureOutbound(peer)
    return peer
  }

  revalidate (): void {
    for (const [peer, state] of this.peers) {
      if (this.allowed(peer) || (state.outbound === undefined && state.inbound === undefined)) continue
      this.counters.sessionsRevoked++
      this.log('info', 'closing sessions with a peer no longer allowed', { peer })
      const reason = new MycelError('PERMISSION_DENIED', 'peer is no longer allowed')
      state.outbound?.abort(reason)
      state.inbound?.abort(reason)
      this.libp2p.hangUp(parsePeerId(peer)).catch(err => this.log('debug', 'hang up failed', { peer, error: errorText(err) }))
    }
    // Membership grew too, perhaps: open sessions with newly admitted peers now, not at the next tick.
    this.maintain()
  }

  strike (peer: string, why: string): void {
    this.counters.strikes++
    this.log('warn', 'bad input from peer', { peer, where: 'above the mesh', error: why })
    const banMs = this.guard.strike(peer)
    if (banMs > 0) this.ban(peer, banMs)
  }

  async waitForPeer (peerId: string, timeoutMs: number): Promise<void> {
    if (this.isUp(peerId)) return
    await this.upWaiters.wait(peerId, timeoutMs)
  }

  connectedPeers (): string[] {
    return [...this.peers].filter(([, s]) => s.up).map(([p]) => p)
  }

  listenAddrs (): string[] {
    const suffix = `/p2p/${this.peerId}`
    return this.libp2p.getMultiaddrs().map(ma => {
      const text = ma.toString()
      return text.endsWith(suffix) ? text : text + suffix
    })
  }

  knownPeers (): KnownPeer[] {
    const out = new Map<string, KnownPeer>()
    for (const record of this.book.list()) {
      out.set(record.peerId, { ...record, addrs: [...record.addrs], connected: this.isUp(record.peerId) })
    }
    for (const peer of this.connectedPeers()) {
      if (!out.has(peer)) out.set(peer, { peerId: peer, addrs: [], connected: true })
    }
    return [...out.values()]
  }

  stats (): Record<string, number> {
    return {
      ...this.counters,
      ...sessionGauges([...this.peers.values()].flatMap(p => [p.outbound, p.inbound])),
      connectedPeers: this.connectedPeers().length,
      knownPeers: this.book.list().length,
      connections: this.libp2p.getConnections().length
    }
  }

  // ── SessionHost: called by sessions ──────────────────────────────────────

  isUp (peer: string): boolean {
    return this.peers.get(peer)?.up === true
  }

  deliver (peer: string, message: SyncMessage): void | Promise<void> {
    return this.handlers.receive(peer, message)
  }

  judgeHello (session: InboundSession, hello: Hello): RefusalReason | undefined {
    const peer = session.peer
    const refuse = (reason: RefusalReason, counter: 'refusedFederation' | 'refusedOther'): RefusalReason => {
      this.counters[counter]++
      this.log('info', 'sync session refused', { peer, reason, federation: hello.federation })
      return reason
    }
    if (!this.running) return refuse('full', 'refusedOther')
    if (hello.federation !== this.init.federation) return refuse('federation', 'refusedFederation')
    if (this.guard.isBanned(peer)) return refuse('banned', 'refusedOther')
    if (!this.allowed(peer)) return refuse('not-member', 'refusedOther')
    const state = this.state(peer)
    if (!state.up && this.connectedPeers().length >= this.maxPeers) return refuse('full', 'refusedOther')
    const previous = state.inbound
    state.inbound = session // set first, so the old stream's close is not taken for this session's
    if (previous !== undefined) previous.abort(new MycelError('CLOSED', 'replaced by a newer inbound sync stream'))
    return undefined
  }

  opened (session: InboundSession | OutboundSession): void {
    const state = this.peers.get(session.peer)
    if (state === undefined) return
    if (session.kind === 'outbound' && state.outbound !== session) return
    this.checkUp(session.peer, state)
  }

  refused (session: OutboundSession, reason: string | undefined): void {
    this.counters.refusedByRemote++ // the backoff is applied when the refused stream closes
    this.log('info', 'peer refused our sync session', { peer: session.peer, reason })
  }

  closed (session: InboundSession | OutboundSession): void {
    const peer = session.peer
    const state = this.peers.get(peer)
    if (state === undefined) return
    if (session.kind === 'outbound' && state.outbound === session) {
      state.outbound = undefined
      if (session.welcomed) this.guard.lost(peer)
      else this.guard.failed(peer)
      this.markDown(peer, state)
    } else if (session.kind === 'inbound' && state.inbound === session) {
      state.inbound = undefined
      this.markDown(peer, state)
    }
    this.forgetIfIdle(peer, state)
  }

  badInput (peer: string, err: unknown, where: 'hello' | 'frame' | 'message'): void {
    if (isMycelError(err, 'TOO_LARGE')) this.counters.oversizedFrames++
    else if (isMycelError(err, 'TIMEOUT')) { /* counted as helloTimeouts by the session */ }
    else if (where === 'hello') this.counters.badHellos++
    else this.counters.decodeFailures++
    this.counters.strikes++
    this.log('warn', 'bad input from peer', { peer, where, error: errorText(err) })
    const banMs = this.guard.strike(peer)
    if (banMs > 0) this.ban(peer, banMs)
  }

  // ── internals ────────────────────────────────────────────────────────────

  private allowed (peer: string): boolean {
    try {
      return this.handlers.isAllowed?.(peer) ?? true
    } catch (err) {
      this.log('error', 'isAllowed threw; refusing', { peer, error: errorText(err) })
      return false
    }
  }

  private ban (peer: string, banMs: number): void {
    this.counters.bans++
    this.log('warn', 'peer banned for repeated bad input', { peer, banMs })
    this.libp2p.hangUp(parsePeerId(peer)).catch(err => this.log('debug', 'hang up failed', { peer, error: errorText(err) }))
  }

  private state (peer: string): PeerState {
    let state = this.peers.get(peer)
    if (state === undefined) {
      state = { opening: false, up: false }
      this.peers.set(peer, state)
    }
    return state
  }

  private forgetIfIdle (peer: string, state: PeerState): void {
    if (state.outbound === undefined && state.inbound === undefined && !state.opening && !state.up) this.peers.delete(peer)
  }

  private checkUp (peer: string, state: PeerState): void {
    if (state.up || state.outbound?.welcomed !== true || state.inbound?.accepted !== true) return
    state.up = true
    this.counters.sessionsUp++
    this.guard.succeeded(peer)
    this.remember(peer, Date.now())
    // Tagged so that when libp2p prunes connections over maxConnections, members' go last.
    this.libp2p.peerStore.merge(parsePeerId(peer), { tags: { [MEMBER_TAG]: { value: 100 } } })
      .catch(err => this.log('debug', 'could not tag member', { peer, error: errorText(err) }))
    this.log('info', 'peer up', { peer })
    this.callHandler('peerUp', peer)
    this.upWaiters.wake(peer)
    state.inbound.kick()
    state.outbound.kick()
  }

  private markDown (peer: string, state: PeerState): void {
    if (!state.up) return
    state.up = false
    this.counters.sessionsDown++
    this.remember(peer, Date.now())
    this.log('info', 'peer down', { peer })
    this.callHandler('peerDown', peer)
  }

  private callHandler (name: 'peerUp' | 'peerDown', peer: string): void {
    try {
      this.handlers[name](peer)
    } catch (err) {
      this.counters.handlerErrors++
      this.log('error', `${name} handler threw`, { peer, error: errorText(err) })
    }
  }

  /**
   * Record a member: the address we dialed it on, plus its listen addresses from the peer store
   * (identify fills it, usually before the session is up; onIdentify catches the later case).
   */
  private remember (peer: string, lastSeenMs: number): void {
    const id = parsePeerId(peer)
    const addrs: string[] = []
    for (const conn of this.libp2p.getConnections(id)) {
      if (conn.direction === 'outbound') addrs.push(stripPeer(conn.remoteAddr.toString(), peer))
    }
    this.book.upsert(peer, addrs, lastSeenMs)
    this.libp2p.peerStore.get(id).then(info => {
      const listen = info.addresses.map(a => stripPeer(a.multiaddr.toString(), peer)).filter(usableAddr)
      if (listen.length > 0 && this.book.has(peer)) this.book.upsert(peer, listen)
    }).catch(() => {}) // not in the peer store yet: onIdentify will record it
  }

  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    const peer = evt.detail.peerId.toString()
    if (!this.isUp(peer) && !this.book.has(peer)) return
    const addrs = evt.detail.listenAddrs.map(ma => stripPeer(ma.toString(), peer)).filter(usableAddr)
    if (addrs.length > 0) this.book.upsert(peer, addrs)
  }

  private readonly onConnectionOpen = (evt: CustomEvent<Connection>): void => {
    const peer = evt.detail.remotePeer.toString()
    void this.ensureOutbound(peer)
  }

  private onInboundStream (stream: Stream, connection: Connection): void {
    const peer = connection.remotePeer.toString()
    try {
      if (!this.running) {
        stream.abort(new MycelError('CLOSED', 'mesh is stopping'))
        return
      }
      // judgeHello attaches the session to the peer's state once its hello is accepted.
      new InboundSession(peer, stream, this).start()
    } catch (err) {
      this.counters.streamsAborted++
      this.log('error', 'inbound sync stream setup failed', { peer, error: errorText(err) })
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** Open our outbound session on an existing connection, unless one exists or we must wait. Never rejects. */
  private async ensureOutbound (peer: string): Promise<void> {
    try {
      await this.openOutbound(peer)
    } catch (err) {
      this.counters.outboundOpenFailures++
      this.log('error', 'opening a sync session failed', { peer, error: errorText(err) })
    }
  }

  private async openOutbound (peer: string): Promise<void> {
    if (!this.running || peer === this.peerId) return
    const state = this.state(peer)
    if (state.outbound !== undefined || state.opening || !this.guard.canAttempt(peer) || !this.allowed(peer)) {
      this.forgetIfIdle(peer, state)
      return
    }
    if (state.inbound?.accepted !== true && this.connectedPeers().length >= this.maxPeers) return
    const connection = this.libp2p.getConnections(parsePeerId(peer)).find(c => c.status === 'open')
    if (connection === undefined) {
      this.forgetIfIdle(peer, state)
      return
    }
    state.opening = true
    let stream: Stream
    try {
      stream = await connection.newStream(SYNC_PROTOCOL, { signal: AbortSignal.timeout(this.limits.helloTimeoutMs) })
    } catch (err) {
      this.counters.outboundOpenFailures++
      this.guard.failed(peer)
      this.log('debug', 'could not open sync stream', { peer, error: errorText(err) })
      return
    } finally {
      state.opening = false
    }
    if (!this.running || state.outbound !== undefined || this.peers.get(peer) !== state) {
      stream.abort(new MycelError('CLOSED', 'sync stream no longer needed'))
      return
    }
    const session = new OutboundSession(peer, stream, this)
    state.outbound = session
    session.begin(encodeHello(this.init.federation))
  }

  /** Periodic: open missing outbound sessions; dial known members that are down, within maxPeers. */
  private maintain (): void {
    if (!this.running) return
    const connected = new Set(this.libp2p.getConnections().map(c => c.remotePeer.toString()))
    for (const peer of connected) {
      const state = this.peers.get(peer)
      if (state?.outbound === undefined && state?.opening !== true) void this.ensureOutbound(peer)
    }
    let budget = this.maxPeers - this.connectedPeers().length - this.dialing.size
    const candidates = this.book.list()
      .filter(r => !connected.has(r.peerId) && !this.dialing.has(r.peerId) && r.peerId !== this.peerId && this.allowed(r.peerId))
      .sort((a, b) => (b.lastSeenMs ?? 0) - (a.lastSeenMs ?? 0))
    for (const record of candidates) {
      if (budget <= 0) break
      if (!this.guard.canAttempt(record.peerId)) continue
      budget--
      void this.redial(record.peerId, record.addrs)
    }
  }

  private async redial (peer: string, addrs: string[]): Promise<void> {
    this.dialing.add(peer)
    this.counters.dials++
    try {
      const target = addrs.length > 0 ? addrs.map(a => multiaddr(`${a}/p2p/${peer}`)) : parsePeerId(peer)
      await this.libp2p.dial(target, { signal: AbortSignal.timeout(this.limits.dialTimeoutMs) })
      await this.ensureOutbound(peer)
    } catch (err) {
      this.counters.dialFailures++
      const delayMs = this.guard.failed(peer)
      this.log('debug', 'redial failed', { peer, delayMs, error: errorText(err) })
    } finally {
      this.dialing.delete(peer)
    }
  }
}
