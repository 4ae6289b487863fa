// Canonical encoding and strict decoding. Events and messages are DAG-CBOR
// (deterministic: sorted map keys, minimal integers), so the same event always
// has the same bytes and the same id. Decoding checks every field's type and
// bound, rejects unknown fields and versions, and finally re-encodes and
// compares: only canonical bytes are accepted, so an id can't be forged by an
// alternative encoding. Every failure is a MycelError; nothing is half-applied
// because nothing is applied here at all.

import * as cbor from '@ipld/dag-cbor'
import { sha256 } from './sha256.js'
import { encodeCanonical, isCanonical, type CborValue } from './canonical-cbor.js'
import { decodeAck } from './acks.js'
import { faultNonce } from './fault-key.js'
import { parseEnvelope } from './envelope.js'
import { utf8Length } from './bytes.js'
import { EMPTY_PROPS, internAuthor, SealedEvent, sealEnvelope, viewOf32 } from './compact-event.js'
import { asRecord, bool, bytesField, decodeCbor, int, list, onlyFields, str, vvField } from './fields.js'
import { MycelError } from './errors.js'
import { addrsKey, siteKey, SYSTEM_KEY_PREFIX, type DeleteBody, type Event, type EventBody, type FaultKind, type MemberBody, type ReplicateMode, type SeenEntries, type PutBody, type Role, type UnsignedEvent } from './event.js'
import { isValidStamp } from './hlc.js'
import * as L from './limits.js'
import type { SyncMessage, ThroughEntry, VersionVectorEntries } from './messages.js'
import type { Signer } from './ports.js'
import { checkRules, type Rule } from './rules.js'

// ---------------------------------------------------------------- events

function bodyToWire (body: EventBody): Record<string, CborValue> {
  switch (body.kind) {
    case 'put': {
      const wire: Record<string, CborValue> = { kind: 'put', key: body.key, digest: body.digest, size: body.size, props: body.props }
      if (body.manifest !== undefined) wire.manifest = body.manifest
      return wire
    }
    case 'delete': return body.ifVersion === undefined ? { kind: 'delete', key: body.key } : { kind: 'delete', key: body.key, ifVersion: body.ifVersion }
    case 'member': {
      const wire: Record<string, CborValue> = { kind: 'member', key: body.key, peer: body.peer, role: body.role, seen: body.seen }
      if (body.invite !== undefined) wire.invite = body.invite
      if (body.claim !== undefined) wire.claim = body.claim
      return wire
    }
    case 'revoke': return { kind: 'revoke', key: body.key, peer: body.peer, seen: body.seen }
    case 'fault': return { kind: 'fault', key: body.key, peer: body.peer, proof: body.proof, a: body.a, b: body.b, seen: body.seen }
    case 'addrs': return { kind: 'addrs', key: body.key, addrs: body.addrs }
    case 'site': return { kind: 'site', key: body.key, name: body.name, groups: body.groups, policy: { mode: body.policy.mode, prefixes: body.policy.prefixes } }
    case 'rules': return { kind: 'rules', key: body.key, rules: body.rules.map(ruleToWire) }
  }
}

/** A rule as it is signed: only the fields set (checkRules normalized them). */
function ruleToWire (rule: Rule): Record<string, CborValue> {
  const wire: Record<string, CborValue> = { prefix: rule.prefix }
  if (rule.immutable === true) wire.immutable = true
  if (rule.deletes !== undefined) wire.deletes = rule.deletes
  if (rule.replicas !== undefined) wire.replicas = rule.replicas
  if (rule.retention !== undefined) {
    const r: Record<string, CborValue> = {}
    if (rule.retention.keep !== undefined) r.keep = rule.retention.keep
    if (rule.retention.maxAgeMs !== undefined) r.maxAgeMs = rule.retention.maxAgeMs
    wire.retention = r
  }
  return wire
}

/** Rules from the wire: checkRules' checks, as decode errors. */
function rulesField (v: unknown): Rule[] {
  try {
    return checkRules(v)
  } catch (err) {
    throw MycelError.decode(`rules: ${(err as Error).message}`)
  }
}

function unsignedToWire (e: UnsignedEvent): Record<string, CborValue> {
  const wire: Record<string, CborValue> = { v: e.v, author: e.author, seq: e.seq, stamp: e.stamp, body: bodyToWire(e.body) }
  if (e.prev !== undefined) wire.prev = e.prev
  return wire
}

/** The bytes an author signs: the canonical encoding of everything but the signature. */
export function signingBytes (e: UnsignedEvent | Event): Uint8Array {
  return 'signed' in e ? e.signed : encodeCanonical(unsignedToWire(e))
}

/**
 * The envelope {s, g} carries the signed bytes verbatim, so a receiver checks
 * the signature over them without re-encoding, and the id (sha-256 of the
 * envelope) is fixed by bytes nobody but the author could have chosen.
 */
function envelope (signed: Uint8Array, sig: Uint8Array): Uint8Array {
  return encodeCanonical({ g: sig, s: signed })
}

/** An event's wire and storage bytes (cached at creation). */
export function encodeEvent (e: Event): Uint8Array {
  return e.bytes
}

/** Signs and seals an event: computes its bytes and id once, for good. */
export function signEvent (unsigned: UnsignedEvent, signer: Signer): Event {
  validateEvent(unsigned)
  const signed = encodeCanonical(unsignedToWire(unsigned))
  const sig = signer.sign(signed)
  bytesField(sig, 'sig', 0, L.MAX_SIG_BYTES)
  const encoded = envelope(signed, sig)
  if (encoded.length > L.MAX_EVENT_BYTES) throw MycelError.tooLarge('event', encoded.length, L.MAX_EVENT_BYTES)
  // Kept as views into the event's one buffer (compact-event.ts), as a decoded event keeps them.
  const { bytes, id } = sealEnvelope(encoded, sha256)
  return new SealedEvent(unsigned, bytes, id, parseEnvelope(bytes))
}

export function decodeEvent (input: Uint8Array): Event {
  if (!(input instanceof Uint8Array)) throw MycelError.decode('event is not bytes')
  if (input.length > L.MAX_EVENT_BYTES) throw MycelError.tooLarge('event', input.length, L.MAX_EVENT_BYTES)
  // An event lives as long as its key's version: it must own its bytes. The
  // input is often a view into a transport's receive buffer that will be
  // reused, and every field decoded below (signed part, signature, digest) is
  // a view into whatever buffer it came from. (Found by the chaos run: relayed
  // events arrived at peers as garbage once the buffer had been reused.)
  const { bytes, id } = sealEnvelope(input, sha256) // a copy even of a Buffer, whose slice() is a view
  const { signed, sig } = parseEnvelope(bytes)
  bytesField(signed, 'signed part', 1, L.MAX_EVENT_BYTES)
  bytesField(sig, 'sig', 0, L.MAX_SIG_BYTES)
  const obj = asRecord(decodeCbor(signed, 'event'), 'event')
  if (obj.v !== 1) throw MycelError.version(obj.v)
  onlyFields(obj, ['v', 'author', 'seq', 'stamp', 'body', 'prev'], 'event')
  const unsigned: UnsignedEvent = {
    v: 1,
    author: internAuthor(str(obj.author, 'author', L.MAX_AUTHOR_BYTES)),
    seq: int(obj.seq, 'seq', 1),
    stamp: toStamp(obj.stamp),
    body: decodeBody(obj.body)
  }
  if (obj.prev !== undefined) unsigned.prev = bytesField(obj.prev, 'prev', 32, 32)
  checkPrev(unsigned)
  checkKeyShape(unsigned)
  if (!isCanonical(unsignedToWire(unsigned), signed)) throw MycelError.decode('event is not canonically encoded')
  // Checked, so canonical: the 32-byte fields are in `signed` as they were decoded; keep views of them.
  if (unsigned.prev !== undefined) unsigned.prev = viewOf32(signed, unsigned.prev)
  const b = unsigned.body
  if (b.kind === 'put') {
    b.digest = viewOf32(signed, b.digest)
    if (b.manifest !== undefined) b.manifest = viewOf32(signed, b.manifest)
  }
  return new SealedEvent(unsigned, bytes, id, { signed, sig })
}

function decodeBody (raw: unknown): EventBody {
  const obj = asRecord(raw, 'body')
  if (obj.kind === 'put') {
    onlyFields(obj, ['kind', 'key', 'digest', 'size', 'props', 'manifest'], 'put body')
    const body: PutBody = {
      kind: 'put',
      key: keyField(obj.key),
      digest: bytesField(obj.digest, 'digest', 32, 32),
      size: int(obj.size, 'size', 0),
      props: propsField(obj.props)
    }
    if (obj.manifest !== undefined) body.manifest = bytesField(obj.manifest, 'manifest', 32, 32)
    return body
  }
  if (obj.kind === 'delete') {
    onlyFields(obj, ['kind', 'key', 'ifVersion'], 'delete body')
    const body: DeleteBody = { kind: 'delete', key: keyField(obj.key) }
    if (obj.ifVersion !== undefined) body.ifVersion = bytesField(obj.ifVersion, 'ifVersion', 32, 32)
    return body
  }
  if (obj.kind === 'member') {
    onlyFields(obj, ['kind', 'key', 'peer', 'role', 'invite', 'claim', 'seen'], 'member body')
    const body: MemberBody = { kind: 'member', key: keyField(obj.key), peer: str(obj.peer, 'peer', L.MAX_AUTHOR_BYTES), role: roleField(obj.role), seen: seenField(obj.seen) }
    if (obj.invite !== undefined) body.invite = bytesField(obj.invite, 'invite', 1, L.MAX_INVITE_BYTES)
    if (obj.claim !== undefined) body.claim = bytesField(obj.claim, 'claim', 1, L.MAX_SIG_BYTES)
    return body
  }
  if (obj.kind === 'revoke') {
    onlyFields(obj, ['kind', 'key', 'peer', 'seen'], 'revoke body')
    return { kind: 'revoke', key: keyField(obj.key), peer: str(obj.peer, 'peer', L.MAX_AUTHOR_BYTES), seen: seenField(obj.seen) }
  }
  if (obj.kind === 'fault') {
    onlyFields(obj, ['kind', 'key', 'peer', 'proof', 'a', 'b', 'seen'], 'fault body')
    return {
      kind: 'fault',
      key: keyField(obj.key),
      peer: str(obj.peer, 'peer', L.MAX_AUTHOR_BYTES),
      proof: faultKindField(obj.proof),
      a: bytesField(obj.a, 'proof a', 1, L.MAX_EVENT_BYTES),
      b: bytesField(obj.b, 'proof b', 1, L.MAX_EVENT_BYTES),
      seen: seenField(obj.seen)
    }
  }
  if (obj.kind === 'addrs') {
    onlyFields(obj, ['kind', 'key', 'addrs'], 'addrs body')
    return { kind: 'addrs', key: keyField(obj.key), addrs: addrsField(obj.addrs) }
  }
  if (obj.kind === 'site') {
    onlyFields(obj, ['kind', 'key', 'name', 'groups', 'policy'], 'site body')
    const policy = asRecord(obj.policy, 'policy')
    onlyFields(policy, ['mode', 'prefixes'], 'policy')
    return {
      kind: 'site',
      key: keyField(obj.key),
      name: siteNameField(obj.name, 'name'),
      groups: list(obj.groups, 'groups', L.MAX_SITE_GROUPS).map(g => siteNameField(g, 'group')),
      policy: {
        mode: modeField(policy.mode),
        prefixes: list(policy.prefixes, 'policy prefixes', L.MAX_POLICY_PREFIXES).map(entry => {
          const pair = list(entry, 'policy prefix', 2)
          if (pair.length !== 2) throw MycelError.decode('policy prefix must be [prefix, mode]')
          return [str(pair[0], 'prefix', L.MAX_KEY_BYTES), modeField(pair[1])] as [string, ReplicateMode]
        })
      }
    }
  }
  if (obj.kind === 'rules') {
    onlyFields(obj, ['kind', 'key', 'rules'], 'rules body')
    return { kind: 'rules', key: keyField(obj.key), rules: rulesField(obj.rules) }
  }
  throw MycelError.decode(`unknown event kind ${JSON.stringify(String(obj.kind)).slice(0, 40)}`)
}

export function roleField (v: unknown): Role {
  if (v !== 'reader' && v !== 'writer' && v !== 'admin') throw MycelError.decode('role must be reader, writer or admin')
  return v
}

function faultKindField (v: unknown): FaultKind {
  if (v !== 'twin' && v !== 'chain' && v !== 'backdate' && v !== 'order') throw MycelError.decode('proof must be twin, chain, backdate or order')
  return v
}

/** A membership event's view: members with their seq, each member once, sorted (canonical). */
function seenField (v: unknown): SeenEntries {
  const out = vvField(v, L.MAX_SEEN_ENTRIES)
  for (let i = 1; i < out.length; i++) if (!(out[i - 1][0] < out[i][0])) throw MycelError.decode('seen must list each member once, sorted')
  return out
}

/** A site name or group: lowercase letters, digits, `-`, `.`, `_`, starting with a letter or digit, ≤ 63 bytes. */
export const SITE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/

function siteNameField (v: unknown, what: string): string {
  const s = str(v, what, 63)
  if (!SITE_NAME.test(s)) throw MycelError.decode(`${what} must be lowercase letters, digits, '-', '.' or '_', starting with a letter or digit (≤ 63)`)
  return s
}

function modeField (v: unknown): ReplicateMode {
  if (v !== 'eager' && v !== 'on-demand' && v !== 'none') throw MycelError.decode('a replication mode is eager, on-demand or none')
  return v
}

export function addrsField (v: unknown): string[] {
  return list(v, 'addrs', L.MAX_ADDRS).map(a => str(a, 'address', L.MAX_ADDR_BYTES))
}

/** The first event of an author has nothing to chain to. */
function checkPrev (e: UnsignedEvent): void {
  if (e.prev !== undefined && e.seq === 1) throw MycelError.decode('the first event of an author has no prev')
}

/** System kinds name their keys after their content; user kinds stay out of the system prefix. */
function checkKeyShape (e: UnsignedEvent): void {
  const b = e.body
  const system = b.key.startsWith(SYSTEM_KEY_PREFIX)
  switch (b.kind) {
    case 'put': case 'delete':
      if (system) throw MycelError.decode(`keys starting with ${SYSTEM_KEY_PREFIX} are reserved`)
      return
    case 'member':
      if (!b.key.startsWith(`${SYSTEM_KEY_PREFIX}member/${b.peer}/`) || !/^[0-9a-f]{32}$/.test(b.key.slice(b.key.lastIndexOf('/') + 1))) throw MycelError.decode('member key must be mycel:member/<peer>/<32 hex>')
      return
    case 'revoke':
      if (!b.key.startsWith(`${SYSTEM_KEY_PREFIX}revoke/${b.peer}/`) || !/^[0-9a-f]{32}$/.test(b.key.slice(b.key.lastIndexOf('/') + 1))) throw MycelError.decode('revoke key must be mycel:revoke/<peer>/<32 hex>')
      return
    case 'fault':
      if (b.key !== `${SYSTEM_KEY_PREFIX}fault/${b.peer}/${faultNonce(e.author, b.a, b.b)}`) throw MycelError.decode('fault key must be mycel:fault/<peer>/<the author\'s nonce of the proof>')
      return
    case 'addrs':
      if (b.key !== addrsKey(e.author)) throw MycelError.decode('addrs key must be mycel:addrs/<author>')
      return
    case 'site':
      if (b.key !== siteKey(e.author)) throw MycelError.decode('site key must be mycel:site/<author>')
      return
    case 'rules':
      if (!/^mycel:rules\/[0-9a-f]{32}$/.test(b.key)) throw MycelError.decode('rules key must be mycel:rules/<32 hex>')
  }
}

/** Checks an event built in memory (local writes) against the same rules as decoding. */
export function validateEvent (e: UnsignedEvent): void {
  if (e.v !== 1) throw MycelError.version(e.v)
  str(e.author, 'author', L.MAX_AUTHOR_BYTES)
  int(e.seq, 'seq', 1)
  toStamp(e.stamp)
  keyField(e.body.key)
  if (e.prev !== undefined) bytesField(e.prev, 'prev', 32, 32)
  checkPrev(e)
  const b = e.body
  switch (b.kind) {
    case 'put':
      bytesField(b.digest, 'digest', 32, 32)
      int(b.size, 'size', 0)
      propsField(b.props)
      if (b.manifest !== undefined) bytesField(b.manifest, 'manifest', 32, 32)
      break
    case 'delete': if (b.ifVersion !== undefined) bytesField(b.ifVersion, 'ifVersion', 32, 32); break
    case 'member':
      str(b.peer, 'peer', L.MAX_AUTHOR_BYTES)
      roleField(b.role)
      if (b.invite !== undefined) bytesField(b.invite, 'invite', 1, L.MAX_INVITE_BYTES)
      if (b.claim !== undefined) bytesField(b.claim, 'claim', 1, L.MAX_SIG_BYTES)
      seenField(b.seen)
      break
    case 'revoke': str(b.peer, 'peer', L.MAX_AUTHOR_BYTES); seenField(b.seen); break
    case 'fault':
      str(b.peer, 'peer', L.MAX_AUTHOR_BYTES)
      faultKindField(b.proof)
      bytesField(b.a, 'proof a', 1, L.MAX_EVENT_BYTES)
      bytesField(b.b, 'proof b', 1, L.MAX_EVENT_BYTES)
      seenField(b.seen)
      break
    case 'addrs': addrsField(b.addrs); break
    case 'site':
      siteNameField(b.name, 'name')
      list(b.groups, 'groups', L.MAX_SITE_GROUPS).forEach(g => siteNameField(g, 'group'))
      modeField(b.policy.mode)
      for (const [p, m] of b.policy.prefixes) { str(p, 'prefix', L.MAX_KEY_BYTES); modeField(m) }
      list(b.policy.prefixes, 'policy prefixes', L.MAX_POLICY_PREFIXES)
      break
    case 'rules': rulesField(b.rules); break
    default: throw MycelError.decode(`unknown event kind ${String((b as { kind: unknown }).kind)}`)
  }
  checkKeyShape(e)
}

// ---------------------------------------------------------------- messages

export function encodeMessage (m: SyncMessage): Uint8Array {
  let wire: Record<string, unknown>
  switch (m.type) {
    case 'digest': wire = { t: 'digest', d: m.digest }; break
    case 'vv': wire = { t: 'vv', vv: m.vv, r: m.reply }; break
    case 'events': wire = { t: 'events', e: m.events.map(e => e.bytes), th: m.through, m: m.more }; break
    case 'push': wire = { t: 'push', e: m.events.map(e => e.bytes), ttl: m.ttl }; break
    case 'acks': wire = { t: 'acks', a: m.acks.map(a => a.bytes), r: m.reply }; break
    case 'fps': wire = { t: 'fps', f: m.fps }; break
    case 'ids': wire = { t: 'ids', i: m.ids }; break
    case 'want': wire = { t: 'want', w: m.wants }; break
  }
  const bytes = cbor.encode({ v: 1, ...wire })
  if (bytes.length > L.MAX_MESSAGE_BYTES) throw MycelError.tooLarge('message', bytes.length, L.MAX_MESSAGE_BYTES)
  return bytes
}

export function decodeMessage (bytes: Uint8Array): SyncMessage {
  const shell = decodeMessageShell(bytes)
  if (shell.events === undefined) return shell.message
  return { ...shell.message, events: shell.events.map(decodeEvent) } as SyncMessage
}

/**
 * A sync message checked and decoded but for its events, which stay as the byte strings of the
 * wire (views into `bytes`): the driver decodes them (decodeEvent) in slices, so that one 4 MiB
 * push of ~15 000 events is not one long stretch of work. `message.events` is empty until then.
 */
export interface MessageShell {
  message: SyncMessage
  /** Present for events and push messages. */
  events?: Uint8Array[]
}

export function decodeMessageShell (bytes: Uint8Array): MessageShell {
  const m = decodeOuter(bytes)
  if (m.type !== 'events' && m.type !== 'push') return { message: m }
  const events = m.events as unknown as unknown[]
  for (const e of events) if (!(e instanceof Uint8Array)) throw MycelError.decode('event is not bytes')
  return { message: { ...m, events: [] }, events: events as Uint8Array[] }
}

/** The message with its events left as they came off the wire (checked as a bounded list only). */
function decodeOuter (bytes: Uint8Array): SyncMessage {
  if (!(bytes instanceof Uint8Array)) throw MycelError.decode('message is not bytes')
  if (bytes.length > L.MAX_MESSAGE_BYTES) throw MycelError.tooLarge('message', bytes.length, L.MAX_MESSAGE_BYTES)
  const obj = asRecord(decodeCbor(bytes, 'message'), 'message')
  if (obj.v !== 1) throw MycelError.version(obj.v)
  switch (obj.t) {
    case 'digest':
      onlyFields(obj, ['v', 't', 'd'], 'digest message')
      return { type: 'digest', digest: bytesField(obj.d, 'digest', 32, 32) }
    case 'vv':
      onlyFields(obj, ['v', 't', 'vv', 'r'], 'vv message')
      return { type: 'vv', vv: vvField(obj.vv), reply: bool(obj.r, 'reply') }
    case 'events':
      onlyFields(obj, ['v', 't', 'e', 'th', 'm'], 'events message')
      return { type: 'events', events: rawEventsField(obj.e), through: throughField(obj.th), more: bool(obj.m, 'more') }
    case 'push':
      onlyFields(obj, ['v', 't', 'e', 'ttl'], 'push message')
      return { type: 'push', events: rawEventsField(obj.e), ttl: int(obj.ttl, 'ttl', 0, L.MAX_PUSH_TTL) }
    case 'acks': {
      onlyFields(obj, ['v', 't', 'a', 'r'], 'acks message')
      const rows = list(obj.a, 'acks', L.MAX_ACK_ROWS)
      return { type: 'acks', reply: bool(obj.r, 'reply'), acks: rows.map(row => decodeAck(bytesField(row, 'ack', 1, L.MAX_MESSAGE_BYTES))) }
    }
    case 'fps': {
      onlyFields(obj, ['v', 't', 'f'], 'fps message')
      return {
        type: 'fps',
        fps: list(obj.f, 'fingerprints', L.MAX_VV_ENTRIES).map(entry => {
          const pair = list(entry, 'fingerprint', 2)
          if (pair.length !== 2) throw MycelError.decode('fingerprint must be [author, fp]')
          return [str(pair[0], 'author', L.MAX_AUTHOR_BYTES), bytesField(pair[1], 'fingerprint', 32, 32)]
        })
      }
    }
    case 'ids': {
      onlyFields(obj, ['v', 't', 'i'], 'ids message')
      return {
        type: 'ids',
        ids: list(obj.i, 'ids', L.MAX_IDS_PER_MESSAGE).map(entry => {
          const t = list(entry, 'id entry', 3)
          if (t.length !== 3) throw MycelError.decode('id entry must be [author, seq, id prefix]')
          return [str(t[0], 'author', L.MAX_AUTHOR_BYTES), int(t[1], 'seq', 1), bytesField(t[2], 'id prefix', 8, 8)]
        })
      }
    }
    case 'want': {
      onlyFields(obj, ['v', 't', 'w'], 'want message')
      return {
        type: 'want',
        wants: list(obj.w, 'wants', L.MAX_IDS_PER_MESSAGE).map(entry => {
          const pair = list(entry, 'want', 2)
          if (pair.length !== 2) throw MycelError.decode('want must be [author, seq]')
          return [str(pair[0], 'author', L.MAX_AUTHOR_BYTES), int(pair[1], 'seq', 1)]
        })
      }
    }
    default:
      throw MycelError.decode(`unknown message type ${JSON.stringify(String(obj.t)).slice(0, 40)}`)
  }
}

// ---------------------------------------------------------------- field checks

function keyField (v: unknown): string {
  const key = str(v, 'key', L.MAX_KEY_BYTES)
  // Control characters make keys unprintable and ambiguous in listings and paths.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw MycelError.decode('key contains a control character')
  return key
}

function toStamp (v: unknown): bigint {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v
  if (!isValidStamp(s)) throw MycelError.decode('stamp must be a 64-bit unsigned integer')
  return s
}

function propsField (v: unknown): Record<string, string> {
  const obj = asRecord(v, 'props')
  const keys = Object.keys(obj)
  if (keys.length === 0) return EMPTY_PROPS
  if (keys.length > L.MAX_PROPS) throw MycelError.tooLarge('props (entries)', keys.length, L.MAX_PROPS)
  const out: Record<string, string> = {}
  for (const k of keys) {
    str(k, 'prop name', L.MAX_PROP_KEY_BYTES)
    const value = obj[k]
    if (typeof value !== 'string') throw MycelError.decode(`prop ${k.slice(0, 40)} must be a string`)
    const n = utf8Length(value)
    if (n > L.MAX_PROP_VALUE_BYTES) throw MycelError.tooLarge(`prop ${k.slice(0, 40)}`, n, L.MAX_PROP_VALUE_BYTES)
    out[k] = value
  }
  return out
}


function throughField (v: unknown): ThroughEntry[] {
  return list(v, 'through', L.MAX_VV_ENTRIES).map(entry => {
    const t = list(entry, 'through entry', 3)
    if (t.length !== 3) throw MycelError.decode('through entry must be [author, from, to]')
    const from = int(t[1], 'from', 0)
    const to = int(t[2], 'to', 0)
    if (to < from) throw MycelError.decode('through entry must have from <= to')
    return [str(t[0], 'author', L.MAX_AUTHOR_BYTES), from, to]
  })
}

/** The events list, its entries not yet decoded (decodeMessageShell's caller decodes them). */
function rawEventsField (v: unknown): Event[] {
  return list(v, 'events', L.MAX_EVENTS_PER_MESSAGE) as Event[]
}

