// An eager member killed while it mirrors a blob picks the mirror up again when it starts: the blob
// layer's start hands the mirror every referenced blob it does not hold (and only those: the blobs it
// holds are not looked at again, which cost seconds of CPU per start at 100 000 keys). A is capped at
// 4 MB/s of upload, so B's mirror of 16 MiB is surely under way when B is killed.
import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Node, until } from '../../helpers/daemons.js'

const MiB = 1024 * 1024

describe('eager mirroring across a restart', () => {
  let a: Node, b: Node

  beforeAll(async () => {
    a = await Node.create({ maxUploadBytesPerSec: 4_000_000 })
    b = await Node.create({ replicate: 'eager' })
    await a.start()
    await b.start(['--join', await a.invite({ role: 'writer' })])
  }, 60_000)
  afterAll(async () => { await Promise.all([a?.destroy(), b?.destroy()]) })

  const publishAtA = async (key: string, size: number): Promise<string> => {
    const bytes = randomBytes(size)
    const token = (await readFile(join(a.dir, 'api.token'), 'utf8')).trim()
    const res = await fetch(`${a.ready?.api as string}/v1/keys/${encodeURIComponent(key)}`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: bytes })
    expect(res.status).toBe(201)
    return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
  }
  const blobAtB = async (digest: string): Promise<{ local: string, bytesHave: number }> => (await b.api<{ local: string, bytesHave: number }>('GET', `/v1/blobs/${digest}`)).body

  it('a blob held before the restart stays held; one half-mirrored is mirrored to the end after it', async () => {
    const small = await publishAtA('mirror/small.bin', 64 * 1024)
    await until('B mirrored the small blob', async () => (await blobAtB(small)).local === 'complete', 30_000, 50)
    const big = await publishAtA('mirror/big.bin', 16 * MiB)
    await until('B is mirroring the big blob', async () => (await blobAtB(big)).bytesHave > 0, 30_000, 20)
    await b.kill()
    await b.start()
    expect((await blobAtB(small)).local).toBe('complete')
    await until('B mirrored the big blob after its restart', async () => (await blobAtB(big)).local === 'complete', 60_000, 100)
  }, 120_000)
})
