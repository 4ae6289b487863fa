// Mirror.waiting: the blobs the policy mirrors that are not here yet (status stats.blob.missing, the
// status page's "missing" of this node): queued, being fetched, or waiting to retry; a stored one leaves.
import { describe, expect, it } from 'vitest'
import { Mirror } from '../../../daemon/blob/mirror.js'
import type { Logger } from '../../../daemon/log.js'

describe('Mirror.waiting', () => {
  it('counts queued and running fetches until each is stored, and unwanted blobs not at all', async () => {
    const finish = new Map<string, () => void>()
    const mirror = new Mirror({
      fetch: async hex => { await new Promise<void>(resolve => finish.set(hex, resolve)) },
      wanted: hex => hex !== 'unwanted',
      log: { warn: () => {} } as unknown as Logger,
      timers: { monoMs: () => 0, after: () => () => {}, at: () => () => {} },
      random: { float: () => 0.5, int: () => 0 }
    })
    for (const hex of ['a', 'b', 'c', 'unwanted', 'a']) mirror.enqueue(hex)
    expect(mirror.waiting).toBe(3) // two running (MIRROR_CONCURRENCY), one queued; duplicates once
    finish.get('a')?.()
    await new Promise(resolve => setImmediate(resolve))
    expect(mirror.waiting).toBe(2)
    mirror.stop()
  })
})
