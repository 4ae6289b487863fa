// A hand-driven libp2p peer for federation tests: it speaks the join protocol
// and the sync handshake itself, so it can do what a real daemon never would —
// present forged tokens, push events it has no right to, sign in another's name.

import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey, Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { requestJoin } from '../../daemon/federation/join/client.js'
import type { JoinAnswer } from '../../daemon/federation/join/wire.js'
import { encodeFrame, FrameDecoder } from '../../daemon/net/frame.js'
import { decodeHello, decodeWelcome, encodeHello, encodeWelcome, type Welcome } from '../../daemon/net/hello.js'
import { SYNC_PROTOCOL } from '../../daemon/net/limits.js'
import { ed25519Signer } from '../../daemon/signing.js'
import { decodeMessage, encodeMessage, signEvent } from '../../protocol/codec.js'
import type { Event, EventBody } from '../../protocol/event.js'
import { makeStamp } from '../../protocol/hlc.js'
import { makeClaim, type SignedInvite } from '../../protocol/invite.js'
import { ed25519InviteKeys } from '../../daemon/federation/invite-keys.js'
import type { SyncMessage } from '../../protocol/messages.js'

export class Rogue {
  /** Sync streams the daemon opened to us (it only does so for a member). */
  inboundSyncStreams = 0
  /** Every event a member sent us, on any sync stream: what the log shows a member. */
  readonly heard: Event[] = []
  private seq = 0

  private constructor (readonly node: Libp2p, readonly key: PrivateKey) {}

  static async create (): Promise<Rogue> {
    const key = await generateKeyPair('Ed25519')
    const node = await createLibp2p({ privateKey: key, addresses: { listen: [] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    const rogue = new Rogue(node, key)
    // Welcome whatever hello the daemon sends, then keep draining its stream.
    await node.handle(SYNC_PROTOCOL, (stream) => {
      rogue.inboundSyncStreams++
      const decoder = new FrameDecoder(1024 * 1024 * 8)
      let welcomed = false
      stream.addEventListener('message', evt => {
        decoder.push(evt.data instanceof Uint8Array ? evt.data : evt.data.subarray())
        for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) {
          if (welcomed) { rogue.note(frame); continue }
          decodeHello(frame)
          welcomed = true
          stream.send(encodeFrame(encodeWelcome()))
        }
      })
    })
    return rogue
  }

  get peerId (): string { return this.node.peerId.toString() }

  async stop (): Promise<void> { await this.node.stop() }

  /**
   * Presents a token: a holder's (its claim made for us with the token's secret), or raw public
   * bytes with whatever claim we choose (one copied from a grant, say) — what a thief would try.
   */
  async join (token: SignedInvite | Uint8Array, memberAddr: string, claim?: Uint8Array): Promise<JoinAnswer> {
    const request = token instanceof Uint8Array
      ? { invite: token, claim: claim ?? new Uint8Array(64) }
      : { invite: token.bytes, claim: claim ?? makeClaim(token, this.peerId, ed25519InviteKeys) }
    return (await requestJoin(this.node, { targets: [memberAddr], request, timeoutMs: 10_000 })).answer
  }

  /** Opens our side of a sync session; resolves with the welcome. */
  async session (memberAddr: string, federation: string): Promise<{ stream: Stream, welcome: Welcome }> {
    const stream = await this.node.dialProtocol(multiaddr(memberAddr), SYNC_PROTOCOL)
    const decoder = new FrameDecoder(1024 * 1024 * 8)
    let welcomed = false
    const welcome = await new Promise<Welcome>((resolve, reject) => {
      stream.addEventListener('message', evt => {
        decoder.push(evt.data instanceof Uint8Array ? evt.data : evt.data.subarray())
        for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) {
          if (welcomed) { this.note(frame); continue }
          welcomed = true
          resolve(decodeWelcome(frame))
        }
      })
      stream.addEventListener('close', () => { reject(new Error('stream closed before the welcome')) }, { once: true })
      stream.send(encodeFrame(encodeHello(federation)))
    })
    return { stream, welcome }
  }

  /** Asks the member for everything it holds (an empty version vector): it answers with events. */
  askEverything (stream: Stream): void {
    this.send(stream, { type: 'vv', vv: [], reply: false })
  }

  /** A sync frame from a member: keep the events it carries. */
  private note (frame: Uint8Array): void {
    try {
      const m = decodeMessage(frame)
      if (m.type === 'events' || m.type === 'push') this.heard.push(...m.events)
    } catch { /* not ours to judge */ }
  }

  /** An event signed with our key but claiming `author` (ourselves by default). */
  event (body: EventBody, author = this.peerId, seq = ++this.seq, stampMs = Date.now()): Event {
    return signEvent({ v: 1, author, seq, stamp: makeStamp(stampMs, 0), body }, ed25519Signer(this.key))
  }

  send (stream: Stream, message: SyncMessage): void {
    stream.send(encodeFrame(encodeMessage(message)))
  }
}

export function putBody (key: string): EventBody {
  return { kind: 'put', key, digest: new Uint8Array(32).fill(1), size: 1, props: {} }
}
