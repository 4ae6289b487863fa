// One contract (durable-store.ts), two stores: the daemon's LevelDB store on a
// real disk and the simulator's virtual disk.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { LevelStore } from '../../daemon/store/level-store.js'
import { decodeEvent } from '../../protocol/codec.js'
import { VirtualDisk } from '../../sim/disk.js'
import { checkRestartEqualsOriginal, type DurableStore } from './durable-store.js'

describe('durable store contract', () => {
  const dirs: string[] = []
  afterAll(async () => { await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) })) })

  it('LevelStore: a replica restarted from it equals the original', async () => {
    const open = async (): Promise<DurableStore> => {
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
    await checkRestartEqualsOriginal(open, 30)
  }, 60_000)

  it('VirtualDisk: a replica restarted from it equals the original', async () => {
    const open = async (): Promise<DurableStore> => {
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
    await checkRestartEqualsOriginal(open, 300)
  })
})
