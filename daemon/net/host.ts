// The daemon's libp2p node, shared by its three protocols: sync (mesh.ts), blob (daemon/blob/) and join
// (daemon/federation/join/). It is the one place that decides who may speak to us at all:
//
//   Host ── libp2p node (libp2p-node.ts: TCP + Noise + yamux, circuit relay / DCUtR / AutoNAT; banned
//     │    peers gated out both ways; relaying for members only)
//     ├─ PeerGuard: strikes and bans (and the mesh's redial pacing)
//     ├─ ConnectionSlots (slots.ts): inbound strangers bounded per IP and in all, closed unless they
//     │    prove membership (or are in a join) within a few seconds; members always have room
//     ├─ isAllowed: the membership gate (the federation's; a test's link faults narrow it)
//     └─ handle(protocol, handler, { maxInbound, maxOutbound, membersOnly, holdsSlot })
//          every inbound stream: refused unread if `membersOnly` and the gate says no; else the handler
//          runs, and whatever it throws ends that stream only (logged, stream.abort) — never the daemon.
//          With `holdsSlot` (join), a stranger's connection keeps its slot while the handler runs.
//
// Every handler and stream runs on limited (relayed) connections too: a site behind NAT is reached
// through a member relay until DCUtR upgrades the connection, and the membership gate, not the
// connection's kind, decides who may speak. reachOf() says which kind a peer's connection is.
//
// The mesh starts and stops the host (mesh.start registers the sync handler before the node listens);
// blob and join register theirs while it runs.

import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { MycelError } from '../../protocol/errors.js'
import { errorText, Logger } from '../log.js'
import { CIRCUIT_LISTEN, createNode, type MeshLibp2p } from './libp2p-node.js'
import { DEFAULT_LIMITS, RELAY_LIMITS, type NetLimits } from './limits.js'
import { listenFailureText } from './listen-failure.js'
import { PeerGuard } from './peer-guard.js'
import { ConnectionSlots, type SlotStats } from './slots.js'

export interface HostInit {
  privateKey: Parameters<typeof createNode>[0]['privateKey']
  /** Multiaddrs to listen on, e.g. ['/ip4/127.0.0.1/tcp/0']. */
  listen: string[]
  /** Bound on sync sessions (and, plus limits.extraConnections, connections). Default 16. */
  maxPeers?: number
  /** Overrides of limits.ts (tests shorten timeouts and queues). */
  limits?: Partial<NetLimits>
  log?: Logger
  /** Serve as a circuit relay for members (libp2p-node.ts). Default false. */
  relay?: boolean
}

/** How a peer is connected: directly, or only through a relay (a /p2p-circuit connection). */
export type Reach = 'direct' | 'relayed'

export interface HostComponents {
  /** Membership gate: who may open sync sessions and blob streams. Default allow. */
  isAllowed?: (peer: string) => boolean
  /** Told of every stranger's connection closed or refused (the shed ledger). */
  strangerShed?: (peer: string, why: 'deadline' | 'evicted' | 'refused', ip: string) => void
}

export interface HandleOptions {
  /** Inbound / outbound streams of this protocol per connection. */
  maxInbound: number
  maxOutbound: number
  /** Abort streams from peers the membership gate refuses before the handler sees them (blob). */
  membersOnly?: boolean
  /** Told of each stream refused by the gate (a counter). */
  onRefused?: (peer: string) => void
  /** Names the protocol in logs; default the protocol id. */
  name?: string
  /** While the handler runs, a stranger's connection keeps its slot (a join in progress: slots.ts). */
  holdsSlot?: boolean
}

/** Handles one inbound stream; a rejection aborts that stream (the host catches it). */
export type StreamHandler = (stream: Stream, peer: string, connection: Connection) => void | Promise<void>

export async function createHost (init: HostInit, components: HostComponents = {}): Promise<Host> {
  const limits: NetLimits = { ...DEFAULT_LIMITS, ...init.limits }
  const guard = new PeerGuard(limits, { now: Date.now, random: Math.random })
  const maxPeers = init.maxPeers ?? 16
  let host: Host | undefined
  const slots = new ConnectionSlots(limits, {
    isMember: peer => host?.isAllowed(peer) ?? false,
    now: () => performance.now(),
    shed: components.strangerShed
  })
  const node = await createNode({
    privateKey: init.privateKey,
    listen: init.listen,
    maxPeers,
    limits,
    isBanned: p => guard.isBanned(p),
    isMember: peer => host?.isAllowed(peer) ?? false,
    relay: init.relay,
    slots
  })
  host = new Host({ listen: init.listen, maxPeers, limits, log: init.log ?? Logger.silent() }, { node, guard, slots, isAllowed: components.isAllowed })
  return host
}

export class Host {
  readonly peerId: string
  /** The libp2p node itself, for the mesh's connection bookkeeping (events, peer store). */
  readonly node: MeshLibp2p
  readonly guard: PeerGuard
  readonly slots: ConnectionSlots | undefined
  readonly limits: NetLimits
  readonly maxPeers: number
  readonly log: Logger
  private readonly listen: string[]
  private readonly gate: ((peer: string) => boolean) | undefined
  private running = false
  private relayRetry: ReturnType<typeof setInterval> | undefined

  constructor (init: { listen: string[], maxPeers: number, limits: NetLimits, log: Logger }, parts: { node: MeshLibp2p, guard: PeerGuard, slots?: ConnectionSlots, isAllowed?: (peer: string) => boolean }) {
    this.node = parts.node
    this.guard = parts.guard
    this.slots = parts.slots
    this.gate = parts.isAllowed
    this.limits = init.limits
    this.maxPeers = init.maxPeers
    this.log = init.log
    this.listen = init.listen
    this.peerId = parts.node.peerId.toString()
  }

  /** Starts listening; UNAVAILABLE naming the address when it cannot. Idempotent. */
  async start (): Promise<void> {
    if (this.running) return
    try {
      await this.node.start()
    } catch (err) {
      throw new MycelError('UNAVAILABLE', listenFailureText(err, this.listen), { cause: err })
    }
    this.running = true
    this.slots?.start()
    if (this.listen.includes(CIRCUIT_LISTEN)) {
      this.relayRetry = setInterval(() => { this.nudgeRelay() }, RELAY_LIMITS.reserveRetryMs)
      this.relayRetry.unref()
    }
  }

  async stop (): Promise<void> {
    this.running = false
    clearInterval(this.relayRetry)
    this.slots?.stop()
    await this.node.stop()
  }

  /** Inbound connections by kind, and strangers closed or refused (slots.ts). */
  slotStats (): SlotStats | undefined {
    return this.slots?.stats
  }

  /** The membership gate; a gate that throws refuses (and is logged). */
  isAllowed (peer: string): boolean {
    try {
      return this.gate?.(peer) ?? true
    } catch (err) {
      this.log.error('isAllowed threw; refusing', { peer, error: errorText(err) })
      return false
    }
  }

  async handle (protocol: string, handler: StreamHandler, options: HandleOptions): Promise<void> {
    const name = options.name ?? protocol
    await this.node.handle(protocol, (stream, connection) => {
      const peer = connection.remotePeer.toString()
      if (options.membersOnly === true && !this.isAllowed(peer)) {
        options.onRefused?.(peer)
        stream.abort(new MycelError('PERMISSION_DENIED', 'not a member'))
        return
      }
      const fail = (err: unknown): void => {
        this.log.debug(`${name} stream failed`, { remote: peer, error: errorText(err) })
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
      const release = options.holdsSlot === true && connection.direction === 'inbound' ? this.slots?.holdForJoin(connection) : undefined
      // Called at once (not on a later tick): a handler attaches its listeners before any event fires.
      try {
        const running = handler(stream, peer, connection)
        if (running !== undefined) running.catch(fail).finally(() => { release?.() })
        else release?.()
      } catch (err) {
        release?.()
        fail(err)
      }
    }, { maxInboundStreams: options.maxInbound, maxOutboundStreams: options.maxOutbound, runOnLimitedConnection: true })
  }

  async unhandle (protocol: string): Promise<void> {
    await this.node.unhandle(protocol)
  }

  /** Connects (or reuses a connection) without opening a stream. */
  async dial (target: PeerId | Multiaddr | Multiaddr[], options: { signal: AbortSignal }): Promise<Connection> {
    return await this.node.dial(target, options)
  }

  /** A new stream of `protocol` to a peer, dialing it first if need be. */
  async dialProtocol (target: PeerId | Multiaddr | Multiaddr[], protocol: string, options: { signal: AbortSignal }): Promise<Stream> {
    return await this.node.dialProtocol(target, protocol, { ...options, runOnLimitedConnection: true })
  }

  /** Open connections, to one peer or all. */
  connections (peer?: PeerId): Connection[] {
    return this.node.getConnections(peer)
  }

  /** The open connection to prefer for a new stream: a direct one if there is one. */
  bestConnection (peer: PeerId): Connection | undefined {
    const open = this.node.getConnections(peer).filter(c => c.status === 'open')
    return open.find(c => !isRelayed(c)) ?? open[0]
  }

  /** How the peer is connected now; undefined when it is not. */
  reachOf (peer: PeerId): Reach | undefined {
    const c = this.bestConnection(peer)
    return c === undefined ? undefined : isRelayed(c) ? 'relayed' : 'direct'
  }

  /** Whether this node holds a relay reservation (it has a /p2p-circuit address to announce). */
  holdsReservation (): boolean {
    return this.node.getMultiaddrs().some(ma => ma.toString().includes('/p2p-circuit'))
  }

  /**
   * A node listening on /p2p-circuit that holds no reservation asks its members again: identify on
   * each direct connection to a member makes the relay transport try that member (libp2p-node.ts,
   * membersAsRelays). Needed after our admission (the try made while joining was refused), and as a
   * retry when a relay went away.
   */
  nudgeRelay (): void {
    if (!this.running || !this.listen.includes(CIRCUIT_LISTEN) || this.holdsReservation()) return
    for (const c of this.node.getConnections()) {
      if (c.status !== 'open' || isRelayed(c) || !this.isAllowed(c.remotePeer.toString())) continue
      this.node.services.identify.identify(c).catch(err => {
        this.log.debug('identify for a relay reservation failed', { remote: c.remotePeer.toString(), error: errorText(err) })
      })
    }
  }

  async hangUp (peer: PeerId): Promise<void> {
    await this.node.hangUp(peer)
  }

  /** The addresses we listen on, each ending in /p2p/<our id>. */
  listenAddrs (): string[] {
    const suffix = `/p2p/${this.peerId}`
    return this.node.getMultiaddrs().map(ma => {
      const text = ma.toString()
      return text.endsWith(suffix) ? text : text + suffix
    })
  }
}

/** A connection through a relay (its remote address has /p2p-circuit). */
export function isRelayed (connection: Connection): boolean {
  return connection.remoteAddr.toString().includes('/p2p-circuit')
}
