// The contract a transport keeps for the core, whether it is the daemon's
// libp2p mesh (TCP, Noise, yamux, a hello each way) or the simulator's link
// model (Network + Cluster): what the core assumes of peerUp, peerDown and
// send. The same suite runs against both (transport.test.ts), so what the
// simulator proves about the core holds over the daemon's network too.
//
//   1. peerUp only once both ends have done their half of the handshake: a peer
//      that reached us but never completed its half is never reported up
//   2. messages to one peer arrive in the order they were sent (FIFO per peer)
//   3. a message sent to a peer that is down is dropped, not queued for its return
//   4. peerDown when the other end closes, and when its link is cut off abruptly
//   5. a message over the frame cap is dropped at the sender; the link stays up
//   6. revalidate() closes the session with a peer the gate no longer allows,
//      at both ends, and it is not let back in
//
// Absence is checked without waiting on luck: a marker sent after the message
// that must not arrive does arrive (FIFO), and only then is the log read.

import { expect } from 'vitest'
import type { SyncMessage } from '../../protocol/messages.js'

export type Recorded =
  | { kind: 'up', peer: string }
  | { kind: 'down', peer: string }
  | { kind: 'message', peer: string, text: string, bytes: number }

/** Two endpoints, a and b, of one transport, linked (each told peerUp of the other) when made. */
export interface TransportHarness {
  readonly a: string
  readonly b: string
  /** What endpoint `at` has been told by its transport, in order. */
  log: (at: string) => Recorded[]
  /** `from` sends a message carrying `text` (padded to `bytes` when given) through its transport. */
  send: (from: string, to: string, text: string, bytes?: number) => void
  /** Waits until `condition` holds (real time on sockets, virtual time in the simulator); throws after a bound. */
  until: (condition: () => boolean, what: string) => Promise<void>
  /** Lets the transport run a while with nothing asked of it (before reading an absence that has no marker). */
  quiet: () => Promise<void>
  /** `which` goes away: 'close' an orderly stop, 'abort' its link cut off abruptly (a crash, a reset). */
  drop: (which: string, how: 'close' | 'abort') => Promise<void>
  /** `which`, dropped, comes back (same identity) and links with the other again. */
  restore: (which: string) => Promise<void>
  /** A peer that reaches a and does its half of the handshake, but never completes the other; its id. */
  halfOpen: () => Promise<string>
  /** a's gate stops allowing b; then a revalidates its sessions. */
  disallowAtA: () => void
  /** The largest message the transport carries (the frame cap). */
  readonly maxMessageBytes: number
  close: () => Promise<void>
}

/** The test codecs of both harnesses carry a digest message: the text (and padding) as its bytes. */
export function message (text: string, bytes?: number): SyncMessage {
  const body = new TextEncoder().encode(text)
  const digest = new Uint8Array(Math.max(body.byteLength, bytes ?? 0))
  digest.set(body)
  return { type: 'digest', digest }
}

/** The text a message of message() carries (padding dropped), and its size. */
export function textOf (m: SyncMessage): { text: string, bytes: number } {
  if (m.type !== 'digest') throw new Error(`expected a digest message, got ${m.type}`)
  const end = m.digest.indexOf(0)
  return { text: new TextDecoder().decode(m.digest.subarray(0, end < 0 ? m.digest.byteLength : end)), bytes: m.digest.byteLength }
}

const ups = (t: TransportHarness, at: string, peer: string): number => t.log(at).filter(e => e.kind === 'up' && e.peer === peer).length
const downs = (t: TransportHarness, at: string, peer: string): number => t.log(at).filter(e => e.kind === 'down' && e.peer === peer).length
const texts = (t: TransportHarness, at: string, peer: string): string[] => t.log(at).flatMap(e => e.kind === 'message' && e.peer === peer ? [e.text] : [])
const got = (t: TransportHarness, at: string, peer: string, text: string): boolean => texts(t, at, peer).includes(text)

/** The properties, one per entry: a name and a check on a fresh harness. */
export const TRANSPORT_CONTRACT: Array<[string, (t: TransportHarness) => Promise<void>]> = [
  ['peerUp only once both ends have done their half of the handshake', async t => {
    expect(ups(t, t.a, t.b)).toBe(1)
    expect(ups(t, t.b, t.a)).toBe(1)
    const half = await t.halfOpen()
    await t.quiet()
    expect(ups(t, t.a, half)).toBe(0)
    // Messages to it are not carried either: a is not connected to it.
    t.send(t.a, half, 'to-half')
    t.send(t.a, t.b, 'marker')
    await t.until(() => got(t, t.b, t.a, 'marker'), 'the marker at b')
    expect(ups(t, t.a, half)).toBe(0)
  }],

  ['messages to one peer arrive in the order they were sent', async t => {
    const sent = Array.from({ length: 100 }, (_, i) => `m${i}`)
    for (const m of sent) t.send(t.a, t.b, m)
    for (const m of sent) t.send(t.b, t.a, m)
    await t.until(() => texts(t, t.b, t.a).length >= sent.length && texts(t, t.a, t.b).length >= sent.length, 'every message both ways')
    expect(texts(t, t.b, t.a)).toEqual(sent)
    expect(texts(t, t.a, t.b)).toEqual(sent)
  }],

  ['a message to a peer that is down is dropped, not queued for its return', async t => {
    await t.drop(t.b, 'close')
    await t.until(() => downs(t, t.a, t.b) === 1, 'a told b is down')
    t.send(t.a, t.b, 'while-down')
    await t.quiet()
    await t.restore(t.b)
    await t.until(() => ups(t, t.a, t.b) === 2 && ups(t, t.b, t.a) >= 1, 'a and b linked again')
    t.send(t.a, t.b, 'after')
    await t.until(() => got(t, t.b, t.a, 'after'), '"after" at b')
    expect(texts(t, t.b, t.a)).not.toContain('while-down')
  }],

  ['peerDown when the other end closes', async t => {
    await t.drop(t.b, 'close')
    await t.until(() => downs(t, t.a, t.b) === 1, 'a told b is down')
  }],

  ['peerDown when the link is cut off abruptly', async t => {
    await t.drop(t.b, 'abort')
    await t.until(() => downs(t, t.a, t.b) >= 1, 'a told b is down')
  }],

  ['a message over the frame cap is dropped at the sender, and the link stays up', async t => {
    t.send(t.a, t.b, 'too-big', t.maxMessageBytes + 1)
    t.send(t.a, t.b, 'fits', Math.min(t.maxMessageBytes - 64, 1024))
    await t.until(() => got(t, t.b, t.a, 'fits'), '"fits" at b')
    expect(texts(t, t.b, t.a)).toEqual(['fits'])
    expect(downs(t, t.a, t.b) + downs(t, t.b, t.a)).toBe(0)
  }],

  ['revalidate() closes the session with a peer no longer allowed, at both ends, and keeps it out', async t => {
    t.disallowAtA()
    await t.until(() => downs(t, t.a, t.b) === 1 && downs(t, t.b, t.a) === 1, 'both told the session is down')
    await t.quiet()
    expect(ups(t, t.a, t.b)).toBe(1)
    t.send(t.b, t.a, 'let-me-in')
    await t.quiet()
    expect(texts(t, t.a, t.b)).not.toContain('let-me-in')
  }]
]
