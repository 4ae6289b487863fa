// What a key's versions cost to read from LevelDB instead of the heap (#25, docs/protocol.md "The
// plan"): classic-level 3 answers getSync(), so the core's storage port can be synchronous. This
// times the two point reads a key lookup would make on a daemon's store — `k!<key>` (the winner's
// author and seq), then `e!<author>!<seq>` (its bytes) — and the decode of the event, for keys
// taken at random, in the order they come (no batching), with LevelDB's default block cache.
//
//   node dist/tools/bench/point-reads.js DATA_DIR [COUNT]     (a dir many-keys.ts wrote; stop its daemon)
//
// `readsOnly…` leave the decode out; `miss…` time a lookup of a key the store lacks. Run it twice: once right after `echo 3 > /proc/sys/vm/drop_caches` (the file pages cold), once
// again (warm). Prints µs per lookup at p50 / p99 and lookups per second.

import { join } from 'node:path'
import { Level } from 'level'
import { decodeEvent } from '../../protocol/codec.js'

const [dir, countArg] = process.argv.slice(2)
if (dir === undefined) {
  process.stderr.write('usage: node dist/tools/bench/point-reads.js DATA_DIR [COUNT]\n')
  process.exit(2)
}
const count = Number(countArg ?? 100_000)

const db = new Level<string, Uint8Array>(join(dir, 'store'), { keyEncoding: 'utf8', valueEncoding: 'view' })
await db.open()
try {
  const keys: string[] = []
  for await (const key of db.keys({ gt: 'k!', lt: 'k"' })) keys.push(key)
  if (keys.length === 0) throw new Error(`no k! entries in ${dir}/store`)
  // A fixed permutation (xorshift): the same keys in the same order on every run.
  let x = 2463534242
  const next = (): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x }
  const text = new TextDecoder()
  const micros: number[] = []
  const readMicros: number[] = []
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    const key = keys[next() % keys.length] as string
    const t = performance.now()
    const where = db.getSync(key)
    if (where === undefined) throw new Error(`${key} vanished`)
    const [author, seq] = text.decode(where).split('!')
    const bytes = db.getSync(`e!${author}!${String(seq).padStart(12, '0')}`)
    if (bytes === undefined) throw new Error(`${key}: its event ${author}!${seq} is not stored`)
    readMicros.push((performance.now() - t) * 1000)
    decodeEvent(bytes)
    micros.push((performance.now() - t) * 1000)
  }
  const seconds = (performance.now() - started) / 1000
  // A fresh member's catch-up asks mostly for keys it does not have: a miss, answered by the bloom
  // filters and index blocks alone when LevelDB has them.
  const missMicros: number[] = []
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    if (db.getSync(`k!absent/${next()}`) !== undefined) throw new Error('an absent key was found')
    missMicros.push((performance.now() - t) * 1000)
  }
  missMicros.sort((a, b) => a - b)
  const at = (xs: number[], q: number): number => +(xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number).toFixed(1)
  micros.sort((a, b) => a - b)
  readMicros.sort((a, b) => a - b)
  console.log(JSON.stringify({ keys: keys.length, lookups: count, p50Us: at(micros, 0.5), p99Us: at(micros, 0.99), readsOnlyP50Us: at(readMicros, 0.5), readsOnlyP99Us: at(readMicros, 0.99), missP50Us: at(missMicros, 0.5), missP99Us: at(missMicros, 0.99), perSecond: Math.round(count / seconds) }))
} finally {
  await db.close()
}
