// Every parser a peer's bytes reach, fed random and mutated input: each one
// returns a value or throws a MycelError — never another exception, never a
// hang (each call is timed), whatever the input.
import fc from 'fast-check'
import { signAck } from '../../protocol/acks.js'
import { describe, expect, it } from 'vitest'
import { decodeJoinAnswer, decodeJoinRequest, encodeJoinAnswer, encodeJoinRequest } from '../../daemon/federation/join/wire.js'
import { FrameDecoder, encodeFrame } from '../../daemon/net/frame.js'
import { decodeHello, decodeWelcome, encodeHello, encodeWelcome } from '../../daemon/net/hello.js'
import { decodeMessage, encodeMessage, signEvent } from '../../protocol/codec.js'
import { isMycelError } from '../../protocol/errors.js'
import { checkInvite, decodeInvite, federationIdOf, inviteFromText, inviteToText, signInvite, type Genesis } from '../../protocol/invite.js'
import { fakeSigner, fakeVerifier } from '../helpers/fake-crypto.js'
import { hostile } from './mutate.js'

const RUNS = 2_000
const SLOW_MS = 200

/** Calls f; only MycelErrors may escape; the call must be quick. */
function survives (f: () => unknown): void {
  const t = performance.now()
  try {
    f()
  } catch (err) {
    if (!isMycelError(err)) throw err
  }
  expect(performance.now() - t).toBeLessThan(SLOW_MS)
}

const genesis: Genesis = { founder: 'F', nonce: new Uint8Array(16).fill(3) }
const token = signInvite({ v: 2, federation: federationIdOf(genesis), genesis, inviter: 'F', addrs: ['/ip4/127.0.0.1/tcp/4710'], role: 'writer', expiresMs: 2e12, uses: 1, nonce: new Uint8Array(16).fill(9), key: 'key-1' }, fakeSigner('F'), new Uint8Array(16).fill(1))
const event = signEvent({ v: 1, author: 'A', seq: 1, stamp: 5n << 16n, body: { kind: 'put', key: 'k', digest: new Uint8Array(32), size: 1, props: { a: 'b' } } }, fakeSigner('A'))
const grant = signEvent({ v: 1, author: 'F', seq: 2, stamp: 6n << 16n, body: { kind: 'member', key: `mycel:member/P/${'0'.repeat(32)}`, peer: 'P', role: 'writer', invite: token.bytes, claim: new Uint8Array(64).fill(2), seen: [['A', 1]] } }, fakeSigner('F'))
const messages = [
  encodeMessage({ type: 'push', events: [event, grant], ttl: 2 }),
  encodeMessage({ type: 'events', events: [event], through: [['A', 0, 1]], more: false }),
  encodeMessage({ type: 'vv', vv: [['A', 3]], reply: true }),
  encodeMessage({ type: 'acks', acks: [signAck({ member: 'A', seq: 1, stamp: 9n, vv: [['A', 1]] }, fakeSigner('A'))], reply: false }),
  encodeMessage({ type: 'fps', fps: [['A', new Uint8Array(32).fill(1)]] }),
  encodeMessage({ type: 'ids', ids: [['A', 1, new Uint8Array(8)]] }),
  encodeMessage({ type: 'want', wants: [['A', 1]] }),
  encodeMessage({ type: 'digest', digest: new Uint8Array(32) })
]

describe('fuzz: parsers of peer input', () => {
  it('the invite token parser (text and bytes), and checkInvite on whatever decodes', () => {
    const text = inviteToText(token)
    fc.assert(fc.property(fc.oneof(
      fc.string({ maxLength: 600 }),
      fc.string({ maxLength: 600 }).map(s => 'mycel2' + s),
      fc.nat({ max: text.length }).chain(i => fc.string({ maxLength: 3 }).map(s => text.slice(0, i) + s + text.slice(i + 1)))
    ), s => {
      survives(() => {
        const inv = inviteFromText(s)
        checkInvite(inv, fakeVerifier, { federation: token.token.federation, nowMs: 1 })
      })
    }), { numRuns: RUNS })
    fc.assert(fc.property(hostile([token.bytes]), bytes => {
      survives(() => { checkInvite(decodeInvite(bytes), fakeVerifier, { nowMs: 1 }) })
    }), { numRuns: RUNS })
  })

  it('join protocol requests and answers', () => {
    const bases = [encodeJoinRequest({ invite: token.bytes, claim: new Uint8Array(64) }), encodeJoinAnswer({ ok: true, genesis }), encodeJoinAnswer({ ok: false, reason: 'spent', message: 'spent' })]
    fc.assert(fc.property(hostile(bases), bytes => {
      survives(() => decodeJoinRequest(bytes))
      survives(() => decodeJoinAnswer(bytes))
    }), { numRuns: RUNS })
  })

  it('sync hellos, welcomes and messages', () => {
    fc.assert(fc.property(hostile([encodeHello('fed1abc'), encodeWelcome(), encodeWelcome('not-member'), ...messages], 8192), bytes => {
      survives(() => decodeHello(bytes))
      survives(() => decodeWelcome(bytes))
      survives(() => decodeMessage(bytes))
    }), { numRuns: RUNS })
  })

  it('the frame decoder holds at most one capped frame whatever the chunks', () => {
    const cap = 512
    fc.assert(fc.property(fc.array(hostile([encodeFrame(messages[2]), encodeFrame(new Uint8Array(600))], 700), { maxLength: 6 }), chunks => {
      const d = new FrameDecoder(cap)
      try {
        for (const c of chunks) {
          d.push(c)
          for (let f = d.next(); f !== undefined; f = d.next()) expect(f.length).toBeLessThanOrEqual(cap)
          // Whatever is buffered is one partial frame: its header plus at most cap bytes, plus one chunk.
          expect(d.bufferedBytes).toBeLessThanOrEqual(5 + cap + c.length)
        }
      } catch (err) {
        if (!isMycelError(err)) throw err
      }
    }), { numRuns: RUNS / 4 })
  })
})
