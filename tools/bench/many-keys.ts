// A founder's data dir holding N keys, written offline: what a daemon would hold had N tiny artifacts
// been published through its API (1 000 000 publishes there take ~25 min; this takes ~1–2 min).
//
// Nothing is faked. The identity is the daemon's (net/identity.ts), the federation is founded as
// the daemon founds one (federation/settle.ts), each put is written by the core itself
// (Replica.write: checked, stamped, hash-chained, signed) and its persist batches go through
// LevelStore.write, as the daemon's group commit hands them over. Each put names a blob that is on
// disk with its chunk manifest, as BlobStore.put and recordManifest leave them. What differs from
// N API publishes is durability only: nothing is fsynced until the end (the dir is not in use
// meanwhile), and the core is restarted from a small snapshot every SEGMENT_KEYS keys, so this
// process holds one segment's events at a time, not N.
//
//   node dist/tools/bench/many-keys.js DIR N [--shared-blob]
//   then: node dist/cli/main.js daemon --dir DIR

import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { decodeEvent } from '../../protocol/codec.js'
import type { Event } from '../../protocol/event.js'
import type { PersistBatch, ReplicaSnapshot } from '../../protocol/replica-api.js'
import { Replica } from '../../protocol/replica.js'
import { encodeManifest, sha256 } from '../../daemon/blob/manifest.js'
import { BlobStore } from '../../daemon/blob/store.js'
import { DEFAULT_CONFIG } from '../../daemon/config.js'
import { securePrivateDir } from '../../daemon/data-dir.js'
import { settleFederation } from '../../daemon/federation/settle.js'
import { loadOrCreateIdentity } from '../../daemon/net/identity.js'
import { ed25519Signer, ed25519Verifier } from '../../daemon/signing.js'
import { LevelStore } from '../../daemon/store/level-store.js'
import { REAL_CLOCK, REAL_RANDOM } from '../../daemon/time.js'

/** Keys per core: its memory is bounded by one segment's events (~60 MB at 20 000), whatever N. */
const SEGMENT_KEYS = 20_000
/** Persist batches (one event each) per LevelDB write: large enough that writes cost little per event. */
const BATCHES_PER_WRITE = 2_000

export interface ManyKeysInit {
  /** The data dir (created if missing; must not hold a federation yet). */
  dir: string
  keys: number
  /** Key `${prefix}/${i}`; default 'k'. */
  prefix?: string
  /**
   * Every put names the same one blob, instead of a blob of its own (`meta <i>`, as the catch-up
   * benchmark publishes): 2 files on disk instead of 2 N, and the blob layer's per-digest state once.
   */
  sharedBlob?: boolean
  say?: (line: string) => void
}

export interface ManyKeys {
  peerId: string
  federation: string
  /** Seconds the whole writing took. */
  seconds: number
}

export async function writeManyKeys (init: ManyKeysInit): Promise<ManyKeys> {
  const t = performance.now()
  const { dir, keys } = init
  const prefix = init.prefix ?? 'k'
  await securePrivateDir(dir)
  const privateKey = await loadOrCreateIdentity(dir)
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  const store = new LevelStore({ location: join(dir, 'store'), sync: false }, { decodeEvent })
  await store.open()
  try {
    const federation = await settleFederation(store, peerId, undefined)
    if (!federation.founded) throw new Error(`${dir} holds a federation already`)
    const blobs = new Blobs(dir, DEFAULT_CONFIG.blobChunkBytes)
    await blobs.start()
    const signer = ed25519Signer(privateKey)
    const verifier = ed25519Verifier()
    const shared = init.sharedBlob === true ? blobs.put('meta') : undefined
    let snapshot: ReplicaSnapshot | undefined
    for (let from = 0; from < keys; from += SEGMENT_KEYS) {
      const batches: PersistBatch[] = []
      const replica = new Replica({ id: peerId, genesis: federation.genesis }, {
        clock: REAL_CLOCK, random: REAL_RANDOM, signer, verifier, send: () => {}, persist: b => { batches.push(b) }
      }, snapshot)
      let last: Event | undefined
      for (let i = from; i < Math.min(keys, from + SEGMENT_KEYS); i++) {
        const blob = shared ?? blobs.put(`meta ${i}`)
        last = replica.write({ kind: 'put', key: `${prefix}/${i}`, digest: blob.digest, size: blob.size, props: {}, manifest: blob.manifest })
        if (batches.length >= BATCHES_PER_WRITE) await store.write(batches.splice(0))
      }
      await store.write(batches.splice(0))
      // What the next core needs to go on: coverage, the clock, and our last event (the chain's head).
      snapshot = { events: last === undefined ? [] : [last], vv: replica.versionVector(), highWater: replica.highWater() }
      if ((from / SEGMENT_KEYS) % 10 === 9) init.say?.(`${from + SEGMENT_KEYS} keys written (${((performance.now() - t) / 1000).toFixed(0)} s)`)
    }
    return { peerId, federation: federation.id, seconds: (performance.now() - t) / 1000 }
  } finally {
    await store.close()
    // Durable at last, all at once (one sync instead of 3 N fsyncs).
    execFileSync('sync')
  }
}

/**
 * Blobs as BlobStore.put and BlobService.recordManifest leave them (`blobs/sha256/<hex>`, its manifest
 * in `blobs/manifests/<hex>`), written without the per-file fsync and rename: nothing reads the dir
 * until it is done.
 */
class Blobs {
  private readonly store: BlobStore
  private readonly manifests: string

  constructor (dir: string, private readonly chunkBytes: number) {
    this.store = new BlobStore({ dir, maxBlobBytes: DEFAULT_CONFIG.maxBlobBytes })
    this.manifests = join(dir, 'blobs', 'manifests')
  }

  async start (): Promise<void> {
    await this.store.start()
    await mkdir(this.manifests, { recursive: true })
  }

  put (text: string): { digest: Uint8Array, size: number, manifest: Uint8Array } {
    const bytes = new TextEncoder().encode(text)
    if (bytes.length > this.chunkBytes) throw new Error('a tiny blob is one chunk')
    const digest = sha256(bytes)
    const manifestBytes = encodeManifest({ v: 1, digest, size: bytes.length, chunkSize: this.chunkBytes, chunks: [digest] })
    // Synchronous: nothing else runs here, and a small file's write costs less than the thread-pool round trip.
    writeFileSync(this.store.pathOf(digest), bytes)
    writeFileSync(join(this.manifests, Buffer.from(digest).toString('hex')), manifestBytes)
    return { digest, size: bytes.length, manifest: sha256(manifestBytes) }
  }
}

if (process.argv[1]?.endsWith('many-keys.js') === true) {
  const [dir, n] = process.argv.slice(2)
  if (dir === undefined || !Number.isSafeInteger(Number(n)) || Number(n) < 1) {
    process.stderr.write('usage: node dist/tools/bench/many-keys.js DIR N [--shared-blob]\n')
    process.exit(2)
  }
  const made = await writeManyKeys({ dir, keys: Number(n), sharedBlob: process.argv.includes('--shared-blob'), say: l => { process.stderr.write(`${l}\n`) } })
  process.stdout.write(JSON.stringify(made) + '\n')
}
