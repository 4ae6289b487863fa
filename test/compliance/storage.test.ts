// One contract (storage.ts), two stores, two modes: the daemon's LevelDB store on
// a real disk and the simulator's virtual disk, each in an open mesh and in a
// federation (retained versions, a retroactive revoke).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { LevelStore } from '../../daemon/store/level-store.js'
import { decodeEvent } from '../../protocol/codec.js'
import { VirtualDisk } from '../../sim/disk.js'
import { checkRestartEqualsOriginal, type DurableStore, type StorageMode } from './storage.js'

const MODES: StorageMode[] = ['open mesh', 'federation']

describe('durable store contract', () => {
  const dirs: string[] = []
  afterAll(async () => { await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) })) })

  const level = async (): Promise<DurableStore> => {
    const dir = await mkdtemp(join(tmpdir(), 'mycel-contract-'))
    dirs.push(dir)
    const location = join(dir, 'store')
    let store = new LevelStore({ location }, { decodeEvent })
    await store.open()
    return {
      write: async batches => { await store.write(batches) },
      snapshot: async () => await store.loadSnapshot(),
      reopen: async () => {
        await store.close()
        store = new LevelStore({ location }, { decodeEvent })
        await store.open()
      }
    }
  }

  const virtual = async (): Promise<DurableStore> => {
    const disk = new VirtualDisk()
    return {
      write: async batches => {
        for (const b of batches) disk.write(b)
        if (batches.length > 0) disk.flushThrough(batches[batches.length - 1].n)
      },
      snapshot: async () => disk.snapshot(),
      reopen: async () => { disk.crash() } // nothing is pending: everything written was made durable
    }
  }

  for (const mode of MODES) {
    it(`LevelStore, ${mode}: a replica restarted from it equals the original`, async () => {
      await checkRestartEqualsOriginal(level, 30, mode)
    }, 120_000)

    it(`VirtualDisk, ${mode}: a replica restarted from it equals the original`, async () => {
      await checkRestartEqualsOriginal(virtual, 300, mode)
    }, 120_000)
  }
})
