// downloadBlob (cli/commands/blob-download.ts) makes a big output durable as it goes: every 32 MiB it
// starts the file's fdatasync (one at a time), so the fsync before `mycel fetch` exits has only the
// tail left; it returns only once the last of those flushes is done, and a flush that fails fails the
// download the way a failed write does.
import { createHash } from 'node:crypto'
import { Readable, Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { ApiClient } from '../../../cli/api-client.js'
import type { CommandContext } from '../../../cli/command.js'
import { downloadBlob } from '../../../cli/commands/blob-download.js'
import type { BlobStatus } from '../../../daemon/api/contract.js'

const MiB = 1024 * 1024
const CHUNK = Buffer.alloc(MiB, 7)
const CHUNKS = 80

function blob (): { api: ApiClient, status: BlobStatus } {
  const hash = createHash('sha256')
  for (let i = 0; i < CHUNKS; i++) hash.update(CHUNK)
  const status = { digest: `sha256:${hash.digest('hex')}`, size: CHUNKS * MiB, local: 'complete' } as unknown as BlobStatus
  const body = (): Readable => {
    const res = Readable.from((function * () { for (let i = 0; i < CHUNKS; i++) yield CHUNK })()) as Readable & { headers: Record<string, string> }
    res.headers = { 'x-mycel-holders': 'a' }
    return res
  }
  return { api: { download: async () => body() } as unknown as ApiClient, status }
}

const ctx = { options: {}, positionals: [], out: process.stdout, err: process.stderr, env: {}, isTTY: false } as unknown as CommandContext
const discard = (): Writable => new Writable({ write (_chunk, _enc, done) { done() } })

describe('downloadBlob: early flushes of the output', () => {
  it('starts a flush every 32 MiB, one at a time, and returns only once the last is done', async () => {
    const { api, status } = blob()
    let started = 0
    let running = 0
    let most = 0
    let finished = 0
    const syncSoFar = async (): Promise<void> => {
      started++
      running++
      most = Math.max(most, running)
      await new Promise(resolve => setImmediate(resolve))
      running--
      finished++
    }
    const got = await downloadBlob(api, ctx, 'k', 0, discard(), false, status, syncSoFar)
    expect(got.size).toBe(CHUNKS * MiB)
    expect(started).toBeGreaterThanOrEqual(1)
    expect(started).toBeLessThanOrEqual(Math.floor(CHUNKS / 32))
    expect(most).toBe(1)
    expect(finished).toBe(started)
  })

  it('a flush that fails fails the download as a write would', async () => {
    const { api, status } = blob()
    const syncSoFar = async (): Promise<void> => { throw Object.assign(new Error('no space'), { code: 'ENOSPC' }) }
    await expect(downloadBlob(api, ctx, 'k', 0, discard(), false, status, syncSoFar)).rejects.toThrow(/could not write the bytes: ENOSPC/)
  })
})
