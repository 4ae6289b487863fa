// Signed acknowledgements. Tombstone collection (tombstones.ts) drops data for
// good once every member has acknowledged it, so an acknowledgement must speak
// only for the member that signed it: a relayed row that is not signed by its
// member is refused (a forged row once made two members collect a tombstone an
// offline member had never seen — the delete came back when it returned).
//
// A row is the member's *durable* version vector plus two facts that pin its
// clock: `seq`, its own highest durable seq, and `stamp`, the HLC high-water
// mark of the batch that made it durable. Every event the member writes after
// `seq` is stamped above `stamp` (its clock never goes back, and the mark is on
// disk before the row is signed), so an event with a higher seq and a lower
// stamp is a signed contradiction: proof of backdating (faults.ts).

import * as cbor from '@ipld/dag-cbor'
import { equalBytes } from './bytes.js'
import { parseEnvelope } from './envelope.js'
import { MycelError } from './errors.js'
import { asRecord, decodeCbor, int, onlyFields, str, vvField } from './fields.js'
import { isValidStamp, type Stamp } from './hlc.js'
import { MAX_AUTHOR_BYTES, MAX_SIG_BYTES, MAX_VV_ENTRIES } from './limits.js'
import type { Signer, Verifier } from './ports.js'

export interface AckRow {
  member: string
  /** The member's own highest durable seq when it signed. */
  seq: number
  /** The HLC high-water mark on its disk when it signed: its later events are stamped above. */
  stamp: Stamp
  /** Its durable coverage: author → seq (a version vector's entries). */
  vv: Array<[author: string, seq: number]>
}

export interface SignedAck extends AckRow {
  /** The envelope {g: sig, s: signed} as it travels and as a fault proof quotes it. */
  bytes: Uint8Array
  /** The canonical row bytes the member signed, and its signature. */
  signed: Uint8Array
  sig: Uint8Array
}

const TAG = 'mycel-ack/1'
/** A row of a federation of MAX_VV_ENTRIES authors is large; rows are bounded by the message cap anyway. */
export const MAX_ACK_BYTES = 4 * 1024 * 1024

function wire (row: AckRow): Uint8Array {
  return cbor.encode({ t: TAG, m: row.member, q: row.seq, s: row.stamp, v: row.vv })
}

export function signAck (row: AckRow, signer: Signer): SignedAck {
  const signed = wire(row)
  const sig = signer.sign(signed)
  return { ...row, bytes: cbor.encode({ g: sig, s: signed }), signed, sig }
}

/** Strict decoding; the signature is checked by verifyAck. */
export function decodeAck (bytes: Uint8Array): SignedAck {
  if (!(bytes instanceof Uint8Array)) throw MycelError.decode('ack is not bytes')
  if (bytes.length > MAX_ACK_BYTES) throw MycelError.tooLarge('ack', bytes.length, MAX_ACK_BYTES)
  const { signed, sig } = parseEnvelope(bytes)
  if (sig.length > MAX_SIG_BYTES) throw MycelError.tooLarge('ack signature', sig.length, MAX_SIG_BYTES)
  const o = asRecord(decodeCbor(signed, 'ack'), 'ack')
  onlyFields(o, ['t', 'm', 'q', 's', 'v'], 'ack')
  if (o.t !== TAG) throw MycelError.decode('ack has the wrong tag')
  const stamp = typeof o.s === 'number' && Number.isSafeInteger(o.s) ? BigInt(o.s) : o.s
  if (!isValidStamp(stamp)) throw MycelError.decode('ack stamp must be a 64-bit unsigned integer')
  const row: AckRow = { member: str(o.m, 'member', MAX_AUTHOR_BYTES), seq: int(o.q, 'seq', 0), stamp, vv: vvField(o.v, MAX_VV_ENTRIES) }
  if (!equalBytes(wire(row), signed)) throw MycelError.decode('ack is not canonically encoded')
  const own = new Uint8Array(bytes) // a row outlives the receive buffer it came in
  const env = parseEnvelope(own)
  return { ...row, bytes: own, signed: env.signed, sig: env.sig }
}

export function verifyAck (ack: Pick<SignedAck, 'member' | 'signed' | 'sig'>, verifier: Verifier): boolean {
  try { return verifier.verify(ack.member, ack.signed, ack.sig) } catch { return false }
}
