// RoundGuard: whether a vv or a pull part belongs to a peer's current anti-entropy round or starts a new one.
import { describe, expect, it } from 'vitest'
import { RoundGuard } from '../../../protocol/round-guard.js'

const IDLE = 1000

describe('RoundGuard', () => {
  it('a vv that arrives after we answered the peer digest, within the idle time, crossed ours; once', () => {
    const g = new RoundGuard(IDLE)
    g.answeredDigest('p', 100)
    expect(g.crossed('p', 100 + IDLE)).toBe(true)
    expect(g.crossed('p', 100 + IDLE)).toBe(false) // the record is consumed: a later vv is a new round
  })

  it('a vv after the idle time, or after any of the answer arrived, is a new round', () => {
    const late = new RoundGuard(IDLE)
    late.answeredDigest('p', 100)
    expect(late.crossed('p', 101 + IDLE)).toBe(false)
    const answered = new RoundGuard(IDLE)
    answered.answeredDigest('p', 100)
    answered.answerArrived('p', 150)
    expect(answered.crossed('p', 200)).toBe(false)
  })

  it('a pull runs while pulls or parts keep coming within the idle time, and lapses after', () => {
    const g = new RoundGuard(IDLE)
    expect(g.pulling('p', 0)).toBe(false)
    g.pulled('p', 0)
    expect(g.pulling('p', IDLE)).toBe(true)
    g.answerArrived('p', 900) // a part keeps it alive
    expect(g.pulling('p', 900 + IDLE)).toBe(true)
    expect(g.pulling('p', 901 + IDLE)).toBe(false)
    expect(g.pulling('p', 0)).toBe(false) // lapsed pulls are dropped, not revived by an earlier clock
  })

  it('a part from a peer we are not pulling from starts no pull', () => {
    const g = new RoundGuard(IDLE)
    g.answerArrived('p', 0)
    expect(g.pulling('p', 1)).toBe(false)
  })

  it('forgets a peer that went down', () => {
    const g = new RoundGuard(IDLE)
    g.pulled('p', 0)
    g.answeredDigest('p', 0)
    g.forget('p')
    expect(g.pulling('p', 1)).toBe(false)
    expect(g.crossed('p', 1)).toBe(false)
  })

  it('keeps peers apart', () => {
    const g = new RoundGuard(IDLE)
    g.pulled('p', 0)
    g.answeredDigest('q', 0)
    expect(g.pulling('q', 1)).toBe(false)
    expect(g.crossed('p', 1)).toBe(false)
    expect(g.pulling('p', 1)).toBe(true)
    expect(g.crossed('q', 1)).toBe(true)
  })
})
