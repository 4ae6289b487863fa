// The quota's last-used journal (blob/quota-journal.ts): a use noted after a rewrite was asked for, while
// a flush queued before it still waited, is kept (it was appended to the file the rewrite then replaced).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LastUsedJournal } from '../../../daemon/blob/quota-journal.js'

const hex = (c: string): string => c.repeat(64)

describe('the last-used journal', () => {
  it('keeps a use noted between a rewrite and the flush queued before it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mycel-journal-'))
    try {
      const path = join(dir, 'last-used')
      const j = new LastUsedJournal(path, { log: { warn: () => {} } })
      j.note(hex('a'), 1000) // queues a flush
      const rewritten = j.rewrite([[hex('a'), 1000]])
      j.note(hex('b'), 2000) // after the rewrite was asked for
      await rewritten
      await j.settled()
      const back = await new LastUsedJournal(path, { log: { warn: () => {} } }).read()
      expect([...back]).toEqual([[hex('a'), 1000], [hex('b'), 2000]])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
