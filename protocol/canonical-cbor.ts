// A small canonical DAG-CBOR encoder for the values events are made of:
// maps with string keys, strings, byte strings, lists, booleans, null and
// integers (number or bigint). Its output is byte-identical to
// @ipld/dag-cbor's encode (minimal heads; map keys sorted by encoded length,
// then bytewise), which test/protocol/canonical-cbor.test.ts checks on random
// values. It exists for speed: every received event is re-encoded to prove
// its bytes canonical, and the generic encoder (a token list, then a sort
// that re-encodes keys) cost ~10 µs per event, a fifth of a joiner's budget
// when it catches up on 20 000 events a second. Floats and anything else
// outside that set are refused, as events never contain them.

export type CborValue = number | bigint | string | boolean | null | Uint8Array | CborValue[] | { [key: string]: CborValue | undefined }

const utf8 = new TextEncoder()
const MAJOR_UINT = 0
const MAJOR_NEGINT = 1
const MAJOR_BYTES = 2
const MAJOR_TEXT = 3
const MAJOR_ARRAY = 4
const MAJOR_MAP = 5
const MAX_UINT64 = (1n << 64n) - 1n

class Writer {
  private buf = new Uint8Array(512)
  private view = new DataView(this.buf.buffer)
  length = 0

  private room (n: number): void {
    if (this.length + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.length + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  head (major: number, n: number | bigint): void {
    const m = major << 5
    if (typeof n === 'bigint') {
      if (n <= 0xffffffffn) { this.head(major, Number(n)); return }
      this.room(9)
      this.buf[this.length] = m | 27
      this.view.setBigUint64(this.length + 1, n)
      this.length += 9
      return
    }
    if (n < 24) { this.room(1); this.buf[this.length++] = m | n } else if (n < 0x100) { this.room(2); this.buf[this.length++] = m | 24; this.buf[this.length++] = n } else if (n < 0x10000) {
      this.room(3); this.buf[this.length] = m | 25; this.view.setUint16(this.length + 1, n); this.length += 3
    } else if (n < 0x100000000) {
      this.room(5); this.buf[this.length] = m | 26; this.view.setUint32(this.length + 1, n); this.length += 5
    } else {
      this.head(major, BigInt(n))
    }
  }

  /** A string's UTF-8 bytes with their head; ASCII is copied without TextEncoder (most strings here). */
  text (str: string): void {
    const n = str.length
    let ascii = true
    for (let i = 0; i < n; i++) if (str.charCodeAt(i) > 0x7f) { ascii = false; break }
    if (!ascii) { const b = utf8.encode(str); this.head(MAJOR_TEXT, b.length); this.raw(b); return }
    this.head(MAJOR_TEXT, n)
    this.room(n)
    for (let i = 0; i < n; i++) this.buf[this.length + i] = str.charCodeAt(i)
    this.length += n
  }

  raw (bytes: Uint8Array): void {
    this.room(bytes.length)
    this.buf.set(bytes, this.length)
    this.length += bytes.length
  }

  byte (b: number): void {
    this.room(1)
    this.buf[this.length++] = b
  }

  bytes (): Uint8Array {
    return this.buf.slice(0, this.length)
  }

  equals (other: Uint8Array): boolean {
    if (other.length !== this.length) return false
    for (let i = 0; i < other.length; i++) if (other[i] !== this.buf[i]) return false
    return true
  }
}

// One writer reused by isCanonical: encoding is synchronous and not
// reentrant, and checking every received event allocated a fresh buffer each.
const scratch = new Writer()

/** Canonical DAG-CBOR bytes of `value` (keys whose value is undefined are left out, as dag-cbor refuses them). */
export function encodeCanonical (value: CborValue): Uint8Array {
  const w = new Writer()
  write(w, value)
  return w.bytes()
}

/** True iff `bytes` is exactly the canonical encoding of `value` (no allocation for the encoding). */
export function isCanonical (value: CborValue, bytes: Uint8Array): boolean {
  scratch.length = 0
  write(scratch, value)
  return scratch.equals(bytes)
}

function write (w: Writer, v: CborValue): void {
  if (typeof v === 'string') { w.text(v); return }
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError(`canonical CBOR here encodes safe integers only, not ${v}`)
    if (v >= 0) w.head(MAJOR_UINT, v)
    else w.head(MAJOR_NEGINT, -1 - v)
    return
  }
  if (typeof v === 'bigint') {
    if (v >= 0n && v <= MAX_UINT64) w.head(MAJOR_UINT, v)
    else if (v < 0n && -1n - v <= MAX_UINT64) w.head(MAJOR_NEGINT, -1n - v)
    else throw new TypeError('integer out of the 64-bit range')
    return
  }
  if (typeof v === 'boolean') { w.byte(v ? 0xf5 : 0xf4); return }
  if (v === null) { w.byte(0xf6); return }
  if (v instanceof Uint8Array) { w.head(MAJOR_BYTES, v.length); w.raw(v); return }
  if (Array.isArray(v)) {
    w.head(MAJOR_ARRAY, v.length)
    for (const item of v) write(w, item)
    return
  }
  if (typeof v === 'object') {
    const keys = Object.keys(v).filter(k => v[k] !== undefined).sort(compareKeys)
    w.head(MAJOR_MAP, keys.length)
    for (const k of keys) {
      w.text(k)
      write(w, v[k] as CborValue)
    }
    return
  }
  throw new TypeError(`canonical CBOR here cannot encode a ${typeof v}`)
}

/** DAG-CBOR's map key order: shorter UTF-8 encoding first, then bytewise (ASCII keys compare as strings). */
function compareKeys (a: string, b: string): number {
  const ea = isAscii(a) ? a : utf8.encode(a)
  const eb = isAscii(b) ? b : utf8.encode(b)
  if (ea.length !== eb.length) return ea.length - eb.length
  if (typeof ea === 'string' && typeof eb === 'string') return ea < eb ? -1 : ea > eb ? 1 : 0
  const ba = typeof ea === 'string' ? utf8.encode(ea) : ea
  const bb = typeof eb === 'string' ? utf8.encode(eb) : eb
  for (let i = 0; i < ba.length; i++) if (ba[i] !== bb[i]) return ba[i] - bb[i]
  return 0
}

function isAscii (s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false
  return true
}
