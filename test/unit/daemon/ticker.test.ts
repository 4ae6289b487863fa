// Ticker: drives the core's tick at the deadline it returns, capped, and soon after poke().
import { describe, expect, it } from 'vitest'
import { Ticker } from '../../../daemon/ticker.js'

describe('Ticker', () => {
  it('calls tick at the deadline it returns, caps the delay, and runs soon after poke()', async () => {
    const calls: number[] = []
    const t0 = performance.now()
    let wake: () => void = () => {}
    const ticker = new Ticker({ maxDelayMs: 200 }, {
      monoMs: () => performance.now(),
      tick: () => { calls.push(performance.now() - t0); wake(); return performance.now() + 60_000 },
      onError: () => {}
    })
    const next = async (): Promise<void> => { await new Promise<void>(resolve => { wake = resolve }) }
    const first = next()
    ticker.start()
    await first // immediately on start
    const capped = next()
    await capped // a 60 s deadline is capped to 200 ms
    expect(calls[1] - calls[0]).toBeGreaterThanOrEqual(150)
    expect(calls[1] - calls[0]).toBeLessThan(30_000) // far below the 60 s deadline: the cap applied
    ticker.stop()
    // poke(): on a ticker whose next tick is a minute away, a poke brings it now.
    const slow = new Ticker({ maxDelayMs: 60_000 }, {
      monoMs: () => performance.now(),
      tick: () => { calls.push(performance.now() - t0); wake(); return performance.now() + 60_000 },
      onError: () => {}
    })
    const started = next()
    slow.start()
    await started
    const poked = next()
    const before = performance.now()
    slow.poke()
    await poked
    expect(performance.now() - before).toBeLessThan(30_000)
    slow.stop()
    const count = calls.length
    ticker.poke()
    await new Promise(resolve => setTimeout(resolve, 250))
    expect(calls.length).toBe(count) // stopped: no more ticks
  })

  it('survives a tick that throws', async () => {
    const errors: unknown[] = []
    let n = 0
    let done: () => void = () => {}
    const twice = new Promise<void>(resolve => { done = resolve })
    const ticker = new Ticker({ maxDelayMs: 20 }, {
      monoMs: () => performance.now(),
      tick: () => { n++; if (n === 2) done(); throw new Error('core bug') },
      onError: err => errors.push(err)
    })
    ticker.start()
    await twice
    ticker.stop()
    expect(errors.length).toBeGreaterThanOrEqual(1)
  })
})
