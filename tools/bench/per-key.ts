// Where a daemon's memory and start time go per key (#25): the daemon's own start path, in
// process and in stages, on a data dir (many-keys.ts writes one), with a full collection between
// stages so each stage's bytes are what it keeps. Each stage holds what the daemon holds after it:
//
//   read      the store's event values, as LevelDB hands them over (no decoding)
//   decode    the store's loadSnapshot(): every event decoded (codec.ts decodeEvent)
//   replica   the core rebuilt from it (protocol/replica.ts): LwwState, AuthorLog, version vector…
//   blob refs the blob layer's digest → keys index (blob/refs.ts), from the live winners
//   cooled    the state's puts and deletes let go of their bytes, read back with getSync when asked
//
// then the parts of the core apart (LwwState, AuthorLog alone), and with --variants what each part
// of an Event costs (measured by building the variant and comparing) and a slimmer blob refs.
//
//   node --expose-gc dist/tools/bench/per-key.js DIR [--variants]
// Figures are heapUsed + arrayBuffers (external memory that is not buffers is left out: LevelDB's
// own caches are not per key). Times are of one run on a shared machine: take them as ranges.

import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { decodeEvent } from '../../protocol/codec.js'
import type { Event } from '../../protocol/event.js'
import { AuthorLog } from '../../protocol/author-log.js'
import { Replica } from '../../protocol/replica.js'
import { LwwState } from '../../protocol/state.js'
import { BlobRefs, hexOf } from '../../daemon/blob/refs.js'
import { loadOrCreateIdentity } from '../../daemon/net/identity.js'
import { ed25519Signer, ed25519Verifier } from '../../daemon/signing.js'
import { LevelStore } from '../../daemon/store/level-store.js'
import { StoredEventReader } from '../../daemon/store/event-reader.js'
import { REAL_CLOCK, REAL_RANDOM } from '../../daemon/time.js'

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')

interface Row { stage: string, bytes: number, ms?: number, note?: string }

function used (): number {
  gc?.(); gc?.()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

async function main (dir: string, variants: boolean): Promise<void> {
  const rows: Row[] = []
  let before = used()
  const mark = (stage: string, ms?: number, note?: string): void => {
    const now = used()
    rows.push({ stage, bytes: now - before, ms, note })
    before = now
  }

  // read: the values alone, as the iterator hands them over.
  const db = new Level<string, Uint8Array>(join(dir, 'store'), { keyEncoding: 'utf8', valueEncoding: 'view' })
  await db.open()
  let t = performance.now()
  const values: Uint8Array[] = []
  for await (const value of db.values({ gt: 'e!', lt: 'e"' })) values.push(value)
  await db.close()
  mark('read: event values from LevelDB', performance.now() - t, 'each a view of its own buffer')
  const n = values.length
  t = performance.now()
  const decoded = values.map(v => decodeEvent(v))
  const decodeMs = performance.now() - t
  values.length = 0
  mark('decode: Event objects (values dropped)', decodeMs, 'decodeEvent copies its input')
  decoded.length = 0
  before = used()

  // The daemon's own path: loadSnapshot, then the replica.
  const store = new LevelStore({ location: join(dir, 'store') }, { decodeEvent })
  await store.open()
  t = performance.now()
  const snapshot = await store.loadSnapshot()
  mark('loadSnapshot (read + decode)', performance.now() - t)
  const privateKey = await loadOrCreateIdentity(dir)
  const id = peerIdFromPrivateKey(privateKey).toString()
  const genesis = await genesisOf(store, dir)
  t = performance.now()
  const replica = new Replica({ id, genesis }, { clock: REAL_CLOCK, random: REAL_RANDOM, signer: ed25519Signer(privateKey), verifier: ed25519Verifier(), send: () => {}, persist: () => {} }, snapshot)
  mark('replica: the core rebuilt (LwwState, AuthorLog, vv, …)', performance.now() - t)
  const events = snapshot.events
  t = performance.now()
  const live = replica.live('')
  const liveMs = performance.now() - t
  const refs = new BlobRefs()
  t = performance.now()
  refs.load(live)
  const refsMs = performance.now() - t
  mark('blob refs: digest → keys (blob/refs.ts)', liveMs + refsMs, `${refs.size} digests; live('') ${liveMs.toFixed(0)} ms of it`)
  // What the daemon does once started: the state's puts and deletes let go of their bytes.
  const reader = new StoredEventReader((author, seq) => store.eventBytesSync(author, seq), decodeEvent)
  t = performance.now()
  replica.coolDurable(events, reader)
  mark('cooled: envelopes and bodies let go (SealedEvent.cool)', performance.now() - t, 'negative: what cooling frees')
  t = performance.now()
  for (const e of live) if (e.body.kind === 'put' && e.body.digest.length !== 32) throw new Error('bad digest')
  rows.push({ stage: 'read every live digest back (getSync + decode)', bytes: NaN, ms: performance.now() - t, note: `${reader.reads} reads` })
  t = performance.now()
  const files = await readdir(join(dir, 'blobs', 'sha256'))
  rows.push({ stage: 'blob store list (readdir, transient)', bytes: NaN, ms: performance.now() - t, note: `${files.length} names` })

  // The core's parts alone, on the same events (so the Events themselves are not counted again).
  before = used()
  t = performance.now()
  const lww = new LwwState(true)
  for (const e of events) lww.apply(e)
  mark('  LwwState alone (retain: a federation\'s)', performance.now() - t)
  t = performance.now()
  const log = new AuthorLog()
  for (const e of events) log.add(e)
  mark('  AuthorLog alone', performance.now() - t)

  if (variants) {
    eventParts(events, rows)
    refsVariant(live, rows)
  }

  await store.close()
  print(rows, n)
  process.stdout.write(`\nkeys ${n}; heap now ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB\n`)
  // Keep everything alive until the figures are taken.
  if (lww.counts().keys + (log.lastSeq(id) > 0 ? 0 : 1) + replica.counts().keys + refs.size < 0) process.stdout.write('')
}

/**
 * What the parts of an Event cost, by building variants of the events held and comparing: each
 * row is what that variant adds over the objects already there (the originals stay alive).
 */
function eventParts (events: Event[], rows: Row[]): void {
  const copy = (b: Uint8Array | undefined): Uint8Array | undefined => b === undefined ? undefined : Uint8Array.from(b)
  let before = used()
  const mark = (stage: string, note?: string): void => {
    const now = used()
    rows.push({ stage, bytes: now - before, note })
    before = now
  }
  const whole = events.map(e => decodeEvent(e.bytes))
  mark('Event as decoded (a second copy of each)', 'the frozen object, body, strings, bigint stamp, id, views, envelope buffer')
  const lean = events.map(e => {
    const b = e.body
    if (b.kind !== 'put') return undefined
    return Object.freeze({ v: 1, author: e.author, seq: e.seq, stamp: e.stamp, prev: copy(e.prev), body: { kind: 'put', key: b.key, digest: copy(b.digest), size: b.size, props: b.props, manifest: copy(b.manifest) }, sig: copy(e.sig), id: copy(e.id) })
  })
  mark('Event without bytes/signed (own small copies; author, key, props shared)', 'what an Event costs once its envelope lives in LevelDB alone')
  const envelopes = events.map(e => new Uint8Array(e.bytes))
  mark('  an envelope buffer alone (new Uint8Array(bytes))', 'the backing store, its ArrayBuffer and one view')
  const views = events.map(e => e.bytes.subarray(1, 9))
  mark('  one more view into it (sig, signed, digest… are views)')
  const authors = events.map(e => `${e.author.slice(0, 1)}${e.author.slice(1)}`)
  mark('  a fresh author string (decode makes one per event)')
  const stamps = events.map(e => e.stamp + 1n)
  mark('  a bigint stamp')
  const props = events.map(() => ({}))
  mark('  an empty props object')
  const singles = events.map(e => [e])
  mark('  a one-element array (LwwState keeps [winner] per key)')
  if (whole.length + lean.length + envelopes.length + views.length + authors.length + stamps.length + props.length + singles.length < 0) process.stdout.write('')
}

/** blob/refs.ts keeps two Sets per digest (its keys, its authors); most digests have one of each. */
function refsVariant (live: Event[], rows: Row[]): void {
  const before = used()
  const slim = new Map<string, { digest: Uint8Array, size: number, manifest?: Uint8Array, keys: string, authors: string }>()
  for (const e of live) {
    if (e.body.kind !== 'put') continue
    slim.set(hexOf(e.body.digest), { digest: e.body.digest, size: e.body.size, manifest: e.body.manifest, keys: e.body.key, authors: e.author })
  }
  rows.push({ stage: 'blob refs, one key and one author held as strings, not Sets', bytes: used() - before, note: `${slim.size} digests` })
}

function print (rows: Row[], n: number): void {
  process.stdout.write('| stage | MiB | bytes/key | ms | note |\n|---|---|---|---|---|\n')
  for (const r of rows) {
    const mib = Number.isNaN(r.bytes) ? '' : (r.bytes / 2 ** 20).toFixed(1)
    const per = Number.isNaN(r.bytes) ? '' : (r.bytes / n).toFixed(0)
    process.stdout.write(`| ${r.stage} | ${mib} | ${per} | ${r.ms === undefined ? '' : r.ms.toFixed(0)} | ${r.note ?? ''} |\n`)
  }
}

async function genesisOf (store: LevelStore, dir: string): Promise<{ founder: string, nonce: Uint8Array }> {
  const g = await store.genesis()
  if (g === undefined) throw new Error(`${dir} holds no federation`)
  return g
}

const [dir] = process.argv.slice(2)
if (dir === undefined) {
  process.stderr.write('usage: node --expose-gc dist/tools/bench/per-key.js DIR [--variants]\n')
  process.exit(2)
}
await main(dir, process.argv.includes('--variants'))
