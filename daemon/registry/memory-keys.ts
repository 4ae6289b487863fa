// The key half of the in-process backend: live keys in byte order, with the
// limits mycel's events put on keys and props (protocol/limits.ts), so a
// registry bug that would be refused by a real site is refused in tests too.
// Shared by every site of a MemoryFederation: metadata "replicates" at once.

import { MAX_EVENT_BYTES, MAX_KEY_BYTES, MAX_PROPS, MAX_PROP_KEY_BYTES, MAX_PROP_VALUE_BYTES } from '../../protocol/limits.js'
import { MycelError } from '../../protocol/errors.js'
import type { KeyEntry, KeyValue } from './backend.js'

const SHA256 = /^sha256:[a-f0-9]{64}$/

/** What an event needs besides key and props (digest, chunk-manifest hash, author, stamp, signature, framing), rounded up. */
const EVENT_OVERHEAD_BYTES = 1024

export class MemoryKeys {
  private readonly values = new Map<string, KeyValue>()
  private readonly sorted: string[] = []
  /** digest → live keys naming it, and its size. */
  private readonly byDigest = new Map<string, { keys: number, size: number }>()
  /** Events written (puts and deletes), for tests that count them. */
  writes = 0

  get (key: string): KeyValue | undefined {
    const v = this.values.get(key)
    return v === undefined ? undefined : { digest: v.digest, size: v.size, props: { ...v.props } }
  }

  /** The size of a digest some live key names. */
  sizeOf (digest: string): number | undefined {
    return this.byDigest.get(digest)?.size
  }

  put (key: string, value: KeyValue): void {
    check(key, value)
    this.writes++
    const old = this.values.get(key)
    if (old !== undefined) this.unref(old.digest)
    else this.sorted.splice(this.lowerBound(key), 0, key)
    this.values.set(key, { digest: value.digest, size: value.size, props: { ...value.props } })
    const ref = this.byDigest.get(value.digest)
    this.byDigest.set(value.digest, { keys: (ref?.keys ?? 0) + 1, size: value.size })
  }

  delete (key: string): void {
    this.writes++
    const old = this.values.get(key)
    if (old === undefined) return
    this.values.delete(key)
    this.sorted.splice(this.lowerBound(key), 1)
    this.unref(old.digest)
  }

  list (prefix: string, opts: { after?: string, limit: number }): KeyEntry[] {
    const from = opts.after !== undefined && opts.after >= prefix ? opts.after : undefined
    let i = from === undefined ? this.lowerBound(prefix) : this.upperBound(from)
    const out: KeyEntry[] = []
    for (; i < this.sorted.length && out.length < opts.limit; i++) {
      const key = this.sorted[i]
      if (!key.startsWith(prefix)) break
      const v = this.values.get(key) as KeyValue
      out.push({ key, digest: v.digest, size: v.size, props: { ...v.props } })
    }
    return out
  }

  private unref (digest: string): void {
    const ref = this.byDigest.get(digest)
    if (ref === undefined) return
    if (ref.keys <= 1) this.byDigest.delete(digest)
    else ref.keys--
  }

  /** First index whose key is ≥ `key`. */
  private lowerBound (key: string): number {
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.sorted[mid] < key) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** First index whose key is > `key`. */
  private upperBound (key: string): number {
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.sorted[mid] <= key) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

function check (key: string, value: KeyValue): void {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw MycelError.tooLarge('key', Buffer.byteLength(key), MAX_KEY_BYTES)
  if (!SHA256.test(value.digest)) throw MycelError.usage(`not a sha256 digest: ${value.digest}`)
  if (!Number.isSafeInteger(value.size) || value.size < 0) throw MycelError.usage(`bad size ${value.size}`)
  const entries = Object.entries(value.props)
  if (entries.length > MAX_PROPS) throw MycelError.tooLarge('props (entries)', entries.length, MAX_PROPS)
  let total = Buffer.byteLength(key) + EVENT_OVERHEAD_BYTES
  for (const [k, v] of entries) {
    if (Buffer.byteLength(k) > MAX_PROP_KEY_BYTES) throw MycelError.tooLarge('prop name', Buffer.byteLength(k), MAX_PROP_KEY_BYTES)
    if (Buffer.byteLength(v) > MAX_PROP_VALUE_BYTES) throw MycelError.tooLarge(`prop ${k}`, Buffer.byteLength(v), MAX_PROP_VALUE_BYTES)
    total += Buffer.byteLength(k) + Buffer.byteLength(v) + 4
  }
  if (total > MAX_EVENT_BYTES) throw MycelError.tooLarge('event', total, MAX_EVENT_BYTES)
}
