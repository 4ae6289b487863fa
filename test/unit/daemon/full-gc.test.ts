// The one full collection the daemon runs after its start (daemon/full-gc.ts) works without
// --expose-gc on the command line, and frees what nothing holds.
import { describe, expect, it } from 'vitest'
import { fullGc } from '../../../daemon/full-gc.js'

function makeGarbage (): WeakRef<object> {
  return new WeakRef(Array.from({ length: 2000 }, () => new Uint8Array(16 * 1024)))
}

describe('full gc', () => {
  it('runs a collection that frees unreachable memory, and says how long it took', async () => {
    const probe = makeGarbage()
    // A WeakRef's target is kept until the job that made it ends.
    await new Promise(resolve => setImmediate(resolve))
    const ms = fullGc()
    expect(typeof ms).toBe('number')
    expect(ms).toBeGreaterThanOrEqual(0)
    expect(probe.deref()).toBeUndefined()
  })
})
