// `mycel publish FILE KEY` on the daemon's machine (issue #22, publish-e2e; cli/commands/stage-file.ts,
// BlobStore.putStaged), against a real daemon: the file is copied into the data dir in the kernel and
// taken from there ("via": "copy"), or hard-linked with --link ("link": the stored copy is the file's
// inode); a refused publish leaves nothing staged; --link across file systems is a usage error that
// says why; the bytes fetch back as published, and a member elsewhere gets them over the network.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'

interface Published { key: string, digest: string, size: number, via: string }

describe('mycel publish on the daemon\'s machine', () => {
  let a: Node, b: Node
  beforeAll(async () => {
    a = await Node.create({ blobChunkBytes: 64 * 1024 })
    b = await Node.create({ blobChunkBytes: 64 * 1024 })
    await a.start()
    await b.start(['--join', await a.invite()]) // an eager mirror: it gets the bytes over the network
  })
  afterAll(async () => { await Promise.all([a, b].map(async n => { await n?.destroy() })) })

  const stagedLeft = async (): Promise<string[]> => (await readdir(join(a.dir, 'blobs', 'tmp'))).filter(n => n.startsWith('staged-'))
  const storedPath = (digest: string): string => join(a.dir, 'blobs', 'sha256', digest.slice('sha256:'.length))

  it('copies the file into the data dir and publishes it without streaming it; the digest is sha256sum\'s', async () => {
    const bytes = randomBytes(2 * 1024 * 1024 + 5)
    const file = join(a.dir, 'copy.bin')
    await writeFile(file, bytes)
    const res = await cli(['publish', file, 'rel/copy.bin', '--dir', a.dir, '--json'])
    expect(res.code, res.stderr).toBe(0)
    const out = JSON.parse(res.stdout) as Published
    expect(out).toMatchObject({ key: 'rel/copy.bin', size: bytes.length, via: 'copy', digest: `sha256:${execFileSync('sha256sum', [file]).toString().split(' ')[0]}` })
    expect((await stat(storedPath(out.digest))).ino).not.toBe((await stat(file)).ino)
    expect(await stagedLeft()).toEqual([])
    await until('B mirrored the bytes over the network', async () => (await readdir(join(b.dir, 'blobs', 'sha256'))).includes(out.digest.slice(7)))
    expect(Buffer.compare(await readFile(join(b.dir, 'blobs', 'sha256', out.digest.slice(7))), bytes)).toBe(0)
  })

  it('--link stores the file itself: the same inode, no copy', async () => {
    const bytes = randomBytes(1024 * 1024)
    const file = join(a.dir, 'linked.bin')
    await writeFile(file, bytes)
    const res = await cli(['publish', file, 'rel/linked.bin', '--link', '--dir', a.dir, '--json'])
    expect(res.code, res.stderr).toBe(0)
    const out = JSON.parse(res.stdout) as Published
    expect(out.via).toBe('link')
    expect((await stat(storedPath(out.digest))).ino).toBe((await stat(file)).ino)
    const back = join(a.dir, 'linked-back.bin')
    expect((await cli(['fetch', 'rel/linked.bin', '-o', back, '--dir', a.dir])).code).toBe(0)
    expect(Buffer.compare(await readFile(back), bytes)).toBe(0)
  })

  it('--link across file systems says why and publishes nothing', async () => {
    const other = await mkdtemp('/dev/shm/mycel-link-')
    try {
      const file = join(other, 'x.bin')
      await writeFile(file, randomBytes(1000))
      const res = await cli(['publish', file, 'rel/elsewhere.bin', '--link', '--dir', a.dir, '--json'])
      expect(res.code).toBe(2)
      expect(JSON.parse(res.stdout).error.message).toContain('same file system as the data dir')
      expect((await a.keys()).some(k => k.key === 'rel/elsewhere.bin')).toBe(false)
      expect(await stagedLeft()).toEqual([])
    } finally {
      await rm(other, { recursive: true, force: true })
    }
  })

  it('a refused publish (a key that reads as a digest) leaves nothing staged', async () => {
    const file = join(a.dir, 'refused.bin')
    await writeFile(file, randomBytes(1000))
    const res = await cli(['publish', file, `sha256:${'ab'.repeat(32)}`, '--dir', a.dir, '--json'])
    expect(res.code).toBe(2)
    expect(await stagedLeft()).toEqual([])
  })

  it('a name outside the staged pattern is refused by the API: it reads nothing else on the request\'s word', async () => {
    const res = await a.api<{ error: { code: string, message: string } }>('PUT', `/v1/keys/${encodeURIComponent('rel/sneaky')}?staged=${encodeURIComponent('../../api.token')}`)
    expect(res.status).toBe(400)
    expect(res.body.error.message).toContain('staged-<24 hex digits>')
  })
})
