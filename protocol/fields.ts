// Strict decoding of DAG-CBOR records, shared by every wire format (events,
// sync messages, invite tokens, join, hello and blob frames): each helper
// checks one field's type and bound and throws a MycelError (DECODE_FAILED or
// TOO_LARGE) naming the field, so a decoder reads as a list of its fields.

import * as cbor from '@ipld/dag-cbor'
import { utf8Length } from './bytes.js'
import { MycelError } from './errors.js'
import { MAX_AUTHOR_BYTES, MAX_SAFE, MAX_VV_ENTRIES } from './limits.js'

export function decodeCbor (bytes: Uint8Array, what: string): unknown {
  try {
    return cbor.decode(bytes)
  } catch (err) {
    throw MycelError.decode(`${what} is not valid DAG-CBOR`, err)
  }
}

export function asRecord (v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) {
    throw MycelError.decode(`${what} must be a map`)
  }
  return v as Record<string, unknown>
}

export function onlyFields (obj: Record<string, unknown>, allowed: string[], what: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw MycelError.decode(`${what} has unknown field ${JSON.stringify(k.slice(0, 40))}`)
  }
}

export function str (v: unknown, what: string, maxBytes: number): string {
  if (typeof v !== 'string' || v.length === 0) throw MycelError.decode(`${what} must be a non-empty string`)
  const n = utf8Length(v)
  if (n > maxBytes) throw MycelError.tooLarge(what, n, maxBytes)
  return v
}

export function int (v: unknown, what: string, min: number, max = MAX_SAFE): number {
  const n = typeof v === 'bigint' && v <= BigInt(MAX_SAFE) ? Number(v) : v
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw MycelError.decode(`${what} must be an integer in [${min}, ${max}]`)
  }
  return n
}

export function bool (v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw MycelError.decode(`${what} must be a boolean`)
  return v
}

export function bytesField (v: unknown, what: string, min: number, max: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw MycelError.decode(`${what} must be bytes`)
  if (v.length > max) throw MycelError.tooLarge(what, v.length, max)
  if (v.length < min) throw MycelError.decode(`${what} must be at least ${min} bytes`)
  return v
}

export function list (v: unknown, what: string, max: number): unknown[] {
  if (!Array.isArray(v)) throw MycelError.decode(`${what} must be a list`)
  if (v.length > max) throw MycelError.tooLarge(`${what} (entries)`, v.length, max)
  return v
}

/** A version vector: [author, seq] pairs. */
export function vvField (v: unknown, max = MAX_VV_ENTRIES): Array<[string, number]> {
  return list(v, 'version vector', max).map(entry => {
    const pair = list(entry, 'version vector entry', 2)
    if (pair.length !== 2) throw MycelError.decode('version vector entry must be [author, seq]')
    return [str(pair[0], 'author', MAX_AUTHOR_BYTES), int(pair[1], 'seq', 0)]
  })
}
