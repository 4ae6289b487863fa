// The node's identity file: created once, kept, never silently replaced.
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { IDENTITY_FILE, loadOrCreateIdentity } from '../../../daemon/net/identity.js'

describe('identity', () => {
  const dirs: string[] = []
  afterEach(async () => { await Promise.all(dirs.map(async d => await rm(d, { recursive: true, force: true }))) })
  const fresh = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'mycel-id-'))
    dirs.push(dir)
    return dir
  }

  it('creates an Ed25519 key once, mode 0600, and loads the same peer id afterwards', async () => {
    const dir = join(await fresh(), 'data') // a dir that does not exist yet
    const first = await loadOrCreateIdentity(dir)
    expect(first.type).toBe('Ed25519')
    expect((await stat(join(dir, IDENTITY_FILE))).mode & 0o777).toBe(0o600)
    const second = await loadOrCreateIdentity(dir)
    expect(peerIdFromPrivateKey(second).toString()).toBe(peerIdFromPrivateKey(first).toString())
  })

  it('refuses a corrupt key file and leaves it untouched', async () => {
    const dir = await fresh()
    const path = join(dir, IDENTITY_FILE)
    await writeFile(path, 'not a key')
    await chmod(path, 0o600)
    await expect(loadOrCreateIdentity(dir)).rejects.toMatchObject({ code: 'DECODE_FAILED' })
    expect(await readFile(path, 'utf8')).toBe('not a key')
  })
})
