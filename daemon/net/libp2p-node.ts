// Builds the libp2p node the mesh runs on: TCP + Noise + yamux, identify and ping, the connection
// bounds, and a gater that keeps banned peers out both ways and hands inbound connections to mycel's
// own accounting of who may hold one (slots.ts). Not started here: the mesh registers its protocol
// handler first.

import { noise } from '@chainsafe/libp2p-noise'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { Identify } from '@libp2p/identify'
import type { MultiaddrConnection, PeerId, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { NetLimits } from './limits.js'

export type MeshServices = { identify: Identify, ping: Ping }
export type MeshLibp2p = Libp2p<MeshServices>

export interface NodeInit {
  privateKey: PrivateKey
  listen: string[]
  maxPeers: number
  limits: NetLimits
  /** Consulted on every dial and every inbound connection once the peer id is known. */
  isBanned: (peer: string) => boolean
  /** mycel's accounting of inbound connections (slots.ts): told of each, and may refuse one. */
  slots?: {
    denyInbound: (maConn: MultiaddrConnection) => boolean
    encrypted: (peer: string, maConn: MultiaddrConnection) => void
  }
}

export async function createNode (init: NodeInit): Promise<MeshLibp2p> {
  const { limits } = init
  const denyBanned = (peerId: PeerId): boolean => init.isBanned(peerId.toString())
  return await createLibp2p({
    privateKey: init.privateKey,
    start: false,
    addresses: { listen: init.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({
      streamOptions: {
        maxStreamWindowSize: limits.yamuxMaxWindowBytes,
        maxReadBufferLength: limits.yamuxMaxReadBufferBytes
      }
    })],
    // ping also serves libp2p's connection monitor (on by default): every connection is pinged every
    // 10 s and aborted when a ping fails, so a silently dead peer's sessions end and get redialed.
    services: { identify: identify(), ping: ping() },
    connectionManager: {
      // Strangers are bounded by mycel's own accounting (slots.ts) at maxStrangers, so members' share
      // (maxPeers + extraConnections) is always free; libp2p's cap is the sum of both.
      maxConnections: init.maxPeers + limits.extraConnections + limits.maxStrangers,
      maxIncomingPendingConnections: limits.maxStrangers,
      inboundUpgradeTimeout: limits.strangerDeadlineMs,
      dialTimeout: limits.dialTimeoutMs,
      inboundConnectionThreshold: limits.inboundConnectionsPerSecond,
      // The mesh redials members itself, with its own backoff; libp2p's KEEP_ALIVE redial stays off.
      reconnectRetries: 0
    },
    connectionGater: {
      denyDialPeer: denyBanned,
      denyInboundConnection: maConn => init.slots?.denyInbound(maConn) ?? false,
      denyInboundEncryptedConnection: (peerId, maConn) => {
        if (denyBanned(peerId)) return true
        init.slots?.encrypted(peerId.toString(), maConn)
        return false
      },
      denyOutboundEncryptedConnection: denyBanned
    }
  })
}
