// The upload cap's token bucket on a fake clock, and the rate parser.
import { describe, expect, it } from 'vitest'
import { MIN_UPLOAD_BYTES_PER_SEC, parseRate, UploadRate } from '../../../daemon/blob/upload-rate.js'

const MB = 1_000_000

/** A clock that moves only when a waiter sleeps: each sleep advances it by exactly the time asked. */
function fakeTime (): { now: () => number, sleep: (ms: number) => Promise<void>, slept: number[] } {
  let t = 0
  const slept: number[] = []
  return { now: () => t, sleep: async ms => { slept.push(ms); t += ms }, slept }
}

describe('upload rate', () => {
  it('lets a second’s worth through at once, then paces to the rate', async () => {
    const time = fakeTime()
    const rate = new UploadRate(2 * MB, time)
    await rate.take(MB)
    await rate.take(MB)
    expect(time.slept).toEqual([]) // the bucket starts full: one second's worth
    for (let i = 0; i < 10; i++) await rate.take(MB)
    expect(time.now()).toBe(5000) // 10 MB more at 2 MB/s
  })

  it('serves waiters in arrival order and never above the rate, whatever the mix of sizes', async () => {
    const time = fakeTime()
    const rate = new UploadRate(3 * MB, time)
    const order: number[] = []
    const sizes = [4 * 1024 * 1024, 64 * 1024, 1024 * 1024, 3 * MB, 17, 2 * MB]
    await Promise.all(sizes.map(async (n, i) => { await rate.take(n); order.push(i) }))
    expect(order).toEqual([0, 1, 2, 3, 4, 5])
    const total = sizes.reduce((a, b) => a + b, 0)
    // The first 3 MB were in the bucket; the rest cost time at 3 MB/s (ms rounded up per sleep).
    expect(time.now()).toBeGreaterThanOrEqual((total - 3 * MB) / 3 * 1000 / MB)
    expect(time.now()).toBeLessThanOrEqual((total - 3 * MB) / 3 * 1000 / MB + sizes.length)
  })

  it('refills while idle, but only up to one second’s worth', async () => {
    const time = fakeTime()
    const rate = new UploadRate(MB, time)
    await rate.take(MB) // empties the bucket
    await time.sleep(60_000) // a minute idle
    time.slept.length = 0
    await rate.take(MB)
    expect(time.slept).toEqual([]) // refilled
    await rate.take(MB)
    expect(time.slept).toEqual([1000]) // but not beyond one second's worth
  })

  it('a waiter dropped before its turn (its stream aborted) takes nothing from the budget', async () => {
    const time = fakeTime()
    const rate = new UploadRate(MB, time)
    await rate.take(MB) // the bucket is empty now
    let aborted = false
    const gone = rate.take(MB, () => aborted)
    const next = rate.take(MB)
    aborted = true // before its turn: the queue has not reached it yet
    await Promise.all([gone, next])
    expect(time.now()).toBe(1000) // one second for `next`, none for `gone`
  })

  it('refuses a cap a 4 MiB chunk could not leave within the stall timeout', () => {
    expect(() => new UploadRate(MIN_UPLOAD_BYTES_PER_SEC - 1, fakeTime())).toThrow(RangeError)
  })

  it('parses rates as the CLI takes them', () => {
    expect(parseRate('50M')).toBe(50 * MB)
    expect(parseRate('1.5G')).toBe(1_500_000_000)
    expect(parseRate('800k')).toBe(800_000)
    expect(parseRate('2000000')).toBe(2 * MB)
    expect(parseRate('10MB/s')).toBe(10 * MB)
    expect(parseRate('0')).toBe(0)
    for (const bad of ['fast', '', '-1M', '5 T', 'M']) expect(parseRate(bad)).toBeUndefined()
  })
})
