// A bare libp2p node for tests that speak /mycel/sync/1.0.0 by hand (malformed and hostile input).

import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { tcp, type TCPSocketOptions } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { Stream } from '@libp2p/interface'
import { encodeFrame, FrameDecoder } from '../../daemon/net/frame.js'
import { decodeWelcome, encodeHello, type Welcome } from '../../daemon/net/hello.js'
import { SYNC_PROTOCOL } from '../../daemon/net/limits.js'

export async function rawNode (): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}

/**
 * A stranger that dials `addr` and then does nothing: no protocol, no stream, no ping monitor of its
 * own (what issue #17's idle strangers were). Rejects if the daemon refuses the connection.
 * `fromIp` (a loopback address such as 127.0.0.2) makes it come from another host as the daemon sees it.
 */
export async function idleStranger (addr: string, fromIp?: string): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen: [] },
    // @libp2p/tcp hands dialOpts to net.connect as they are; its type lists only a few of them.
    transports: [tcp(fromIp === undefined ? {} : { dialOpts: { localAddress: fromIp } as TCPSocketOptions })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false }
  })
  try {
    await node.dial(multiaddr(addr))
  } catch (err) {
    await node.stop()
    throw err
  }
  return node
}

export async function openSync (node: Libp2p, addr: string): Promise<Stream> {
  return await node.dialProtocol(multiaddr(addr), SYNC_PROTOCOL)
}

/** Resolves when the stream is closed or aborted, with whether it ended in error. */
export async function closed (stream: Stream): Promise<{ error: boolean }> {
  if (stream.status !== 'open') return { error: stream.status !== 'closed' }
  return await new Promise(resolve => stream.addEventListener('close', evt => resolve({ error: evt.error !== undefined }), { once: true }))
}

/** Send a hello for `federation` and wait for the welcome frame. */
export async function handshake (stream: Stream, federation: string): Promise<Welcome> {
  const decoder = new FrameDecoder(1024)
  const welcome = new Promise<Welcome>((resolve, reject) => {
    stream.addEventListener('message', evt => {
      decoder.push(evt.data instanceof Uint8Array ? evt.data : evt.data.subarray())
      const frame = decoder.next()
      if (frame !== undefined) resolve(decodeWelcome(frame))
    })
    stream.addEventListener('close', () => reject(new Error('stream closed before the welcome')), { once: true })
  })
  stream.send(encodeFrame(encodeHello(federation)))
  return await welcome
}
