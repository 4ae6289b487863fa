// `mycel fetch -o FILE` of bytes the daemon already holds (issue #22, fetch-local; cli/commands/
// held-copy.ts), against a real daemon: the file is copied from the daemon's own copy in the kernel,
// hashed by the CLI, fsynced and renamed into place ("via": "copy"); a copy rotted on the daemon's disk
// is caught by that hash, and the fetch falls back to the API, which refuses the damaged copy too, so
// nothing is written under the name; a pipe is still streamed through the API.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, open, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node } from '../../helpers/daemons.js'

describe('mycel fetch -o of bytes the daemon holds', () => {
  let a: Node
  let bytes: Buffer
  let digest: string

  beforeAll(async () => {
    a = await Node.create({ blobChunkBytes: 64 * 1024 })
    await a.start()
    bytes = randomBytes(3 * 1024 * 1024 + 17)
    const src = join(a.dir, 'src.bin')
    await writeFile(src, bytes)
    const pub = await cli(['publish', src, 'rel/app.tar', '--dir', a.dir, '--json'])
    expect(pub.code).toBe(0)
    digest = (JSON.parse(pub.stdout) as { digest: string }).digest
  })
  afterAll(async () => { await a?.destroy() })

  it('copies the daemon\'s file, checks it, and leaves no temp file', async () => {
    const out = join(a.dir, 'got.tar')
    const res = await cli(['fetch', 'rel/app.tar', '-o', out, '--dir', a.dir, '--json'])
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    expect(JSON.parse(res.stdout)).toMatchObject({ key: 'rel/app.tar', digest, size: bytes.length, path: out, via: 'copy' })
    expect(Buffer.compare(await readFile(out), bytes)).toBe(0)
    expect(`sha256:${execFileSync('sha256sum', [out]).toString().split(' ')[0]}`).toBe(digest)
    expect((await readdir(a.dir)).filter(n => n.includes('.mycel-'))).toEqual([])
  })

  it('--link makes the file a hard link to the daemon\'s copy: no byte copied; on another file system it copies and says so', async () => {
    const out = join(a.dir, 'linked.tar')
    const res = await cli(['fetch', 'rel/app.tar', '-o', out, '--link', '--dir', a.dir, '--json'])
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    expect(JSON.parse(res.stdout)).toMatchObject({ digest, size: bytes.length, path: out, via: 'link' })
    const [mine, store] = [await stat(out), await stat(join(a.dir, 'blobs', 'sha256', digest.slice('sha256:'.length)))]
    expect(mine.ino).toBe(store.ino)
    expect(Buffer.compare(await readFile(out), bytes)).toBe(0)
    await rm(out)
    // /dev/shm is a tmpfs: a link cannot cross to it.
    const other = await mkdtemp('/dev/shm/mycel-link-')
    try {
      const far = join(other, 'far.tar')
      const copied = await cli(['fetch', 'rel/app.tar', '-o', far, '--link', '--dir', a.dir, '--json'])
      expect(copied.code).toBe(0)
      expect(copied.stderr).toContain('another file system')
      expect(JSON.parse(copied.stdout)).toMatchObject({ via: 'copy' })
      expect(Buffer.compare(await readFile(far), bytes)).toBe(0)
    } finally {
      await rm(other, { recursive: true, force: true })
    }
  })

  it('a named pipe still gets the bytes through the API', async () => {
    const fifo = join(a.dir, 'pipe')
    execFileSync('mkfifo', [fifo])
    const [res, piped] = await Promise.all([cli(['fetch', 'rel/app.tar', '-o', fifo, '--dir', a.dir, '--json']), readFile(fifo)])
    expect(res.code).toBe(0)
    expect(JSON.parse(res.stdout)).toMatchObject({ via: 'api' })
    expect(Buffer.compare(piped, bytes)).toBe(0)
  })

  it('a copy rotted on the daemon\'s disk is caught by the hash; the API refuses it too; nothing is written', async () => {
    const file = await open(join(a.dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), 'r+')
    try { await file.write(Buffer.from([bytes[1000] as number ^ 0xff]), 0, 1, 1000) } finally { await file.close() }
    const out = join(a.dir, 'rotted.tar')
    const res = await cli(['fetch', 'rel/app.tar', '-o', out, '--dir', a.dir, '--json', '--wait', '1s'])
    expect(res.stderr).toContain("could not copy the daemon's file")
    expect(res.stderr).toContain('streaming the bytes instead')
    expect(res.code).toBe(4) // no other holder has a good copy
    expect(JSON.parse(res.stdout).error.code).toBe('UNAVAILABLE')
    expect((await readdir(a.dir)).filter(n => n.includes('rotted') || n.includes('.mycel-'))).toEqual([])
  })
})
