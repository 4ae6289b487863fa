// The mesh: the daemon's libp2p network layer. It keeps sync sessions with a bounded set of federation
// members and moves the core's SyncMessages between them; what to send and when is the core's business.
//
//   Host (host.ts: the libp2p node) ── connections ──┐
//   PeerState (one per peer)     ├─ outbound: OutboundSession (we write)   ─┐ both handshaken
//                                └─ inbound:  InboundSession  (we read)    ─┘ ⇒ peer is up
//   Dialer (dialer.ts)        — the address book (peers.json); redials members with PeerGuard's backoff
//   PeerGuard (the host's)    — strikes for bad input, growing bans, redial pacing
//
// A peer is reported up (handlers.peerUp) once our hello was welcomed and its hello accepted; down
// when either stream ends. Frames received before that wait in the inbox (bounded, stream paused).

import { Invitees } from './invitees.js'
import type { Connection, Stream } from '@libp2p/interface'
import { MycelError, isMycelError } from '../../protocol/errors.js'
import type { SyncMessage } from '../../protocol/messages.js'
import { LoopBudget } from '../loop-budget.js'
import { errorText, Logger } from '../log.js'
import { OffenderLog } from '../log-limit.js'
import { coreCodec, type MessageCodec } from './codec.js'
import { Dialer } from './dialer.js'
import { encodeFrame } from './frame.js'
import { encodeHello, type Hello, type RefusalReason } from './hello.js'
import { createHost, type Host, type Reach } from './host.js'
import { InboundSession } from './inbound-session.js'
import { SYNC_PROTOCOL, type NetLimits } from './limits.js'
import type { KnownPeer, Mesh, MeshHandlers, MeshInit } from './mesh-api.js'
import { OutboundSession } from './outbound-session.js'
import { parsePeerId } from './peer-addr.js'
import type { SessionBase, SessionHost } from './session-base.js'
import { newCounters, sessionGauges, type Counters } from './stats.js'
import { Waiters } from './waiters.js'

export type { MessageCodec } from './codec.js'
export type { KnownPeer, Mesh, MeshHandlers, MeshInit } from './mesh-api.js'

const MEMBER_TAG = 'mycel-member'

interface PeerState {
  outbound?: OutboundSession
  inbound?: InboundSession
  opening: boolean
  up: boolean
}

/**
 * A mesh on `host` (the daemon's, shared with blob and join), or, without one, on a host of its own made
 * from `init` (tests, benchmarks) whose gate is handlers.isAllowed. Either way the mesh starts and stops
 * the host: its sync handler is registered before the node listens.
 */
export async function createMesh (init: MeshInit, handlers: MeshHandlers, host?: Host): Promise<Mesh> {
  const h = host ?? await createHost(init, { isAllowed: handlers.isAllowed })
  return new Libp2pMesh(init, handlers, h)
}

class Libp2pMesh implements Mesh, SessionHost {
  readonly peerId: string
  readonly limits: NetLimits
  readonly counters: Counters = newCounters()
  readonly codec: MessageCodec
  readonly log: Logger
  private readonly offenders: OffenderLog
  private readonly loop: LoopBudget
  private readonly init: MeshInit
  private readonly handlers: MeshHandlers
  private readonly host: Host
  private readonly dialer: Dialer
  private readonly peers = new Map<string, PeerState>()
  /** Joiners we admitted lately: their first session is accepted even when we are full. */
  private readonly invitees = new Invitees()
  private readonly upWaiters = new Waiters()
  private running = false

  constructor (init: MeshInit, handlers: MeshHandlers, host: Host) {
    this.init = init
    this.handlers = handlers
    this.host = host
    this.limits = host.limits
    this.peerId = host.peerId
    this.codec = init.codec ?? coreCodec
    this.log = init.log ?? host.log
    this.offenders = init.offenderLog ?? new OffenderLog(this.log)
    this.loop = init.loop ?? new LoopBudget()
    this.dialer = new Dialer({ dir: init.dir }, host, this.counters, {
      running: () => this.running,
      connectedPeers: () => this.connectedPeers(),
      isUp: peer => this.isUp(peer),
      allowed: peer => this.allowed(peer),
      lacksOutbound: peer => {
        const state = this.peers.get(peer)
        return state?.outbound === undefined && state?.opening !== true
      },
      ensureOutbound: async peer => { await this.ensureOutbound(peer) }
    })
  }

  // ── lifecycle ────────────────────────────────────────────────────────────

  async start (): Promise<void> {
    if (this.running) return
    await this.dialer.load()
    await this.host.handle(SYNC_PROTOCOL, (stream, peer) => { this.onInboundStream(stream, peer) }, {
      name: 'sync',
      maxInbound: this.limits.maxInboundStreams,
      maxOutbound: this.limits.maxOutboundStreams
    })
    this.host.node.addEventListener('connection:open', this.onConnectionOpen)
    try {
      await this.host.start()
    } catch (err) {
      this.host.node.removeEventListener('connection:open', this.onConnectionOpen)
      await this.host.unhandle(SYNC_PROTOCOL).catch(() => {})
      throw err
    }
    this.running = true
    this.dialer.start()
    this.log.info('mesh started', { peerId: this.peerId, listen: this.listenAddrs() })
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    this.dialer.stop()
    this.host.node.removeEventListener('connection:open', this.onConnectionOpen)
    const closing: Array<Promise<void>> = []
    for (const [peer, state] of this.peers) {
      this.markDown(peer, state)
      if (state.outbound !== undefined) closing.push(state.outbound.close(1_000))
    }
    await Promise.allSettled(closing)
    await this.host.stop()
    if (this.init.offenderLog === undefined) this.offenders.stop()
    this.peers.clear()
    this.upWaiters.failAll(new MycelError('CLOSED', 'mesh stopped'))
    await this.dialer.flush()
    this.log.info('mesh stopped', { peerId: this.peerId })
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
      this.log.error('message did not encode', { peer: to, type: message.type, error: String(err) })
      return
    }
    if (payload.byteLength > this.limits.maxFrameBytes) {
      this.counters.dropsTooLarge++
      this.log.warn('message over the frame cap dropped', { peer: to, type: message.type, bytes: payload.byteLength })
      return
    }
    if (!outbound.enqueue(encodeFrame(payload))) {
      this.counters.dropsQueueFull++
      this.handlers.sendQueueFull?.(to)
    }
  }

  addPeer (peerId: string, addrs: string[]): void {
    this.dialer.addPeer(peerId, addrs)
  }

  async dial (addr: string): Promise<string> {
    return await this.dialer.dial(addr)
  }

  revalidate (): void {
    for (const [peer, state] of this.peers) {
      if (this.allowed(peer) || (state.outbound === undefined && state.inbound === undefined)) continue
      this.counters.sessionsRevoked++
      this.log.info('closing sessions with a peer no longer allowed', { peer })
      const reason = new MycelError('PERMISSION_DENIED', 'peer is no longer allowed')
      state.outbound?.abort(reason)
      state.inbound?.abort(reason)
      this.host.hangUp(parsePeerId(peer)).catch(err => { this.log.debug('hang up failed', { peer, error: errorText(err) }) })
    }
    // Membership grew too, perhaps: open sessions with newly admitted peers now, not at the next tick.
    this.dialer.maintain()
  }

  strike (peer: string, why: string): void {
    this.penalise(peer, 'above the mesh', why)
  }

  async waitForPeer (peerId: string, timeoutMs: number): Promise<void> {
    if (this.isUp(peerId)) return
    await this.upWaiters.wait(peerId, timeoutMs)
  }

  connectedPeers (): string[] {
    return [...this.peers].filter(([, s]) => s.up).map(([p]) => p)
  }

  listenAddrs (): string[] {
    return this.host.listenAddrs()
  }

  reachOf (peer: string): Reach | undefined {
    return this.host.reachOf(parsePeerId(peer))
  }

  knownPeers (): KnownPeer[] {
    return this.dialer.knownPeers()
  }

  stats (): Record<string, number> {
    return {
      ...this.counters,
      ...sessionGauges([...this.peers.values()].flatMap(p => [p.outbound, p.inbound])),
      connectedPeers: this.connectedPeers().length,
      knownPeers: this.dialer.knownCount,
      connections: this.host.connections().length
    }
  }

  // ── SessionHost: called by sessions ──────────────────────────────────────

  isUp (peer: string): boolean {
    return this.peers.get(peer)?.up === true
  }

  deliver (peer: string, message: SyncMessage): void | Promise<void> {
    return this.handlers.receive(peer, message)
  }

  judgeHello (session: SessionBase, hello: Hello): RefusalReason | undefined {
    if (!(session instanceof InboundSession)) throw new Error('assertion failed: only an inbound session says hello')
    const peer = session.peer
    const refuse = (reason: RefusalReason, counter: 'refusedFederation' | 'refusedOther'): RefusalReason => {
      this.counters[counter]++
      this.offenders.write('info', 'sync session refused', peer, { peer, reason, federation: hello.federation }, reason)
      return reason
    }
    if (!this.running) return refuse('full', 'refusedOther')
    if (hello.federation !== this.init.federation) return refuse('federation', 'refusedFederation')
    if (this.host.guard.isBanned(peer)) return refuse('banned', 'refusedOther')
    if (!this.allowed(peer)) return refuse('not-member', 'refusedOther')
    const state = this.state(peer)
    if (!state.up && this.connectedPeers().length >= this.host.maxPeers && !this.invitees.has(peer, performance.now())) return refuse('full', 'refusedOther')
    const previous = state.inbound
    state.inbound = session // set first, so the old stream's close is not taken for this session's
    if (previous !== undefined) previous.abort(new MycelError('CLOSED', 'replaced by a newer inbound sync stream'))
    return undefined
  }

  opened (session: SessionBase): void {
    const state = this.peers.get(session.peer)
    if (state === undefined) return
    if (session.kind === 'outbound' && state.outbound !== session) return
    this.checkUp(session.peer, state)
  }

  refused (session: SessionBase, reason: string | undefined): void {
    this.counters.refusedByRemote++ // the backoff is applied when the refused stream closes
    this.log.info('peer refused our sync session', { peer: session.peer, reason })
  }

  closed (session: SessionBase): void {
    const peer = session.peer
    const state = this.peers.get(peer)
    if (state === undefined) return
    if (state.outbound !== undefined && state.outbound === session) {
      const welcomed = state.outbound.welcomed
      state.outbound = undefined
      if (welcomed) this.host.guard.lost(peer)
      else this.host.guard.failed(peer)
      this.markDown(peer, state)
    } else if (state.inbound !== undefined && state.inbound === session) {
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
    this.penalise(peer, where, errorText(err))
  }

  async pace (): Promise<void> {
    await this.loop.pace()
  }

  due (): boolean {
    return this.loop.due()
  }

  /**
   * A strike, and a ban at the limit. A peer already banned is on its way out (its connection is
   * being closed): what it still sends is counted, not struck again (no doubling the ban per event of
   * one bad message) and not logged line by line.
   */
  private penalise (peer: string, where: string, why: string): void {
    if (this.host.guard.isBanned(peer)) {
      this.counters.strikesWhileBanned++
      return
    }
    this.counters.strikes++
    this.offenders.warn('bad input from peer', peer, { peer, where, error: why }, why.slice(0, 80))
    const banMs = this.host.guard.strike(peer)
    if (banMs > 0) this.ban(peer, banMs)
  }

  /**
   * We admitted `peer` (join protocol): for a while its sync session is accepted even when we are full.
   * A joiner knows no member but its inviter until that first session brings it its grant and the
   * members' addresses; refused 'full', it stayed "not a member (yet)" for good (docs/sites.md, "Seen").
   */
  invited (peer: string): void {
    this.invitees.add(peer, performance.now())
  }

  // ── internals ────────────────────────────────────────────────────────────

  private allowed (peer: string): boolean {
    return this.host.isAllowed(peer)
  }

  private ban (peer: string, banMs: number): void {
    this.counters.bans++
    this.log.warn('peer banned for repeated bad input', { peer, banMs })
    this.host.hangUp(parsePeerId(peer)).catch(err => { this.log.debug('hang up failed', { peer, error: errorText(err) }) })
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
    this.host.guard.succeeded(peer)
    this.dialer.remember(peer, Date.now())
    // Tagged so that when libp2p prunes connections over maxConnections, members' go last.
    this.host.node.peerStore.merge(parsePeerId(peer), { tags: { [MEMBER_TAG]: { value: 100 } } })
      .catch(err => { this.log.debug('could not tag member', { peer, error: errorText(err) }) })
    this.log.info('peer up', { peer })
    this.callHandler('peerUp', peer)
    this.upWaiters.wake(peer)
    state.inbound.kick()
    state.outbound.kick()
  }

  private markDown (peer: string, state: PeerState): void {
    if (!state.up) return
    state.up = false
    this.counters.sessionsDown++
    this.dialer.remember(peer, Date.now())
    this.log.info('peer down', { peer })
    this.callHandler('peerDown', peer)
  }

  private callHandler (name: 'peerUp' | 'peerDown', peer: string): void {
    try {
      this.handlers[name](peer)
    } catch (err) {
      this.counters.handlerErrors++
      this.log.error(`${name} handler threw`, { peer, error: errorText(err) })
    }
  }

  private readonly onConnectionOpen = (evt: CustomEvent<Connection>): void => {
    const peer = evt.detail.remotePeer.toString()
    void this.ensureOutbound(peer)
  }

  private onInboundStream (stream: Stream, peer: string): void {
    try {
      if (!this.running) {
        stream.abort(new MycelError('CLOSED', 'mesh is stopping'))
        return
      }
      // judgeHello attaches the session to the peer's state once its hello is accepted.
      new InboundSession(peer, stream, this).start()
    } catch (err) {
      this.counters.streamsAborted++
      this.log.error('inbound sync stream setup failed', { peer, error: errorText(err) })
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** Open our outbound session on an existing connection, unless one exists or we must wait. Never rejects. */
  private async ensureOutbound (peer: string): Promise<void> {
    try {
      await this.openOutbound(peer)
    } catch (err) {
      this.counters.outboundOpenFailures++
      this.log.error('opening a sync session failed', { peer, error: errorText(err) })
    }
  }

  private async openOutbound (peer: string): Promise<void> {
    if (!this.running || peer === this.peerId) return
    const state = this.state(peer)
    if (state.outbound !== undefined || state.opening || !this.host.guard.canAttempt(peer) || !this.allowed(peer)) {
      this.forgetIfIdle(peer, state)
      return
    }
    if (state.inbound?.accepted !== true && this.connectedPeers().length >= this.host.maxPeers) return
    const connection = this.host.bestConnection(parsePeerId(peer))
    if (connection === undefined) {
      this.forgetIfIdle(peer, state)
      return
    }
    state.opening = true
    let stream: Stream
    try {
      stream = await connection.newStream(SYNC_PROTOCOL, { signal: AbortSignal.timeout(this.limits.helloTimeoutMs), runOnLimitedConnection: true })
    } catch (err) {
      this.counters.outboundOpenFailures++
      this.host.guard.failed(peer)
      this.log.debug('could not open sync stream', { peer, error: errorText(err) })
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
}
