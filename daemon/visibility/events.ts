// What `mycel watch`, webhooks and the status page see: one small JSON object
// per thing that happened on this node. They are derived from the core's
// observer (applied/ rejected ...) and, for `available`, from the blob layer.
//   applied, local put        → published
//   applied, remote put       → replicated   (the metadata is here)
//   applied, delete (either)  → deleted
//   applied, member / revoke  → member-joined / member-revoked
//   applied, fault            → member-suspended (a signed contradiction was proven)
//   applied, remote put over this site's own put of an immutable key (an npm version, or a
//   key under an immutable rule: docs/rules.md), with other bytes
//                             → conflict (two sites created the key at once, and this
//                               site's lost; both digests)
//   applied, remote put or delete over this site's own put or delete of a mutable key
//                             → overwritten (another site's write won: the winner's site
//                               and digest; `rm` that lost shows here as lost: delete)
//   removed, a winner voided (its author revoked, or proven to have signed a contradiction)
//                             → reverted (the key's winner now: the version it had superseded, or none)
//   blob layer verified bytes → available    (VisibilityHub.available())
//   site health (site-health.ts) → site-down, site-up, site-behind (key mycel:site/<peer>)
// `addrs` events are plumbing and produce nothing.

import { imageLabel } from '../registry/keys.js'
import { packageLabel, parsePackageKey } from '../npm/keys.js'
import { isUnpublished } from '../npm/manifest-props.js'
import type { Event } from '../../protocol/event.js'
import { formatStamp } from '../../protocol/hlc.js'
import { cidOf, digestText } from '../blob/store.js'

export const VIS_EVENT_TYPES = ['published', 'replicated', 'available', 'deleted', 'member-joined', 'member-revoked', 'member-suspended', 'site-down', 'site-up', 'site-behind', 'conflict', 'overwritten', 'reverted'] as const
export type VisEventType = typeof VIS_EVENT_TYPES[number]

export interface VisEvent {
  type: VisEventType
  /** Increasing per daemon run: lets a reader tell it missed some (a gap). */
  id: number
  /** Wall-clock ms on this node when it happened here. */
  atMs: number
  /** The artifact key; for member events the system key (mycel:member/...). */
  key: string
  author?: string
  seq?: number
  stamp?: string
  digest?: string
  cid?: string
  size?: number
  /** member-joined / member-revoked / member-suspended: whom it is about, and the role granted. */
  peer?: string
  role?: string
  /** member-suspended: the contradiction proven (twin, chain, backdate, order). */
  proof?: string
  /** available: false when this site's policy for the key is `none` — the bytes were fetched to serve a fetch here and are not kept (absent: kept). */
  kept?: boolean
  /** site-*: the site name of `peer`, when it named itself. */
  peerName?: string
  /** site-down: when it was last connected (ms since the epoch). */
  lastSeenMs?: number
  /** site-up: how long it was down (ms). */
  downForMs?: number
  /** site-behind: events it lacks of those held here, and how long it has lacked the oldest (ms). */
  lag?: number
  lagMs?: number
  /** A container registry's key, as people name the image: `team/app:v1`, `team/app@sha256:…` (registry/keys.ts). */
  image?: string
  /** An npm registry's key, as npm users name the package: `@scope/name@1.0.0` (npm/keys.ts). */
  package?: string
  /** conflict, overwritten: the digest this site wrote, which lost to `digest` (written by `author`). */
  lostDigest?: string
  /**
   * overwritten: what this site wrote (a put, or an `rm`'s delete) and what beat it. reverted: the
   * voided version (`lost`, `lostDigest`, by `author`) and what the key holds now (`won`, `digest`; no
   * `won`: nothing, the key is gone).
   */
  lost?: 'put' | 'delete'
  won?: 'put' | 'delete'
}

export type VisEventDraft = Omit<VisEvent, 'id' | 'atMs'>

export function isVisEventType (value: unknown): value is VisEventType {
  return typeof value === 'string' && (VIS_EVENT_TYPES as readonly string[]).includes(value)
}

/** The type draftFromApplied gives, without building the draft. */
export function visTypeOf (event: Event, local: boolean): VisEventType | undefined {
  switch (event.body.kind) {
    case 'put': return local ? 'published' : 'replicated'
    case 'delete': return 'deleted'
    case 'member': return 'member-joined'
    case 'revoke': return 'member-revoked'
    case 'fault': return 'member-suspended'
    default: return undefined
  }
}

/** The visibility event for a core `applied` callback, or undefined for plumbing (addrs). */
export function draftFromApplied (event: Event, local: boolean): VisEventDraft | undefined {
  const base = baseOf(event)
  const body = event.body
  switch (body.kind) {
    case 'put':
      return { type: local ? 'published' : 'replicated', ...base, digest: digestText(body.digest), cid: cidOf(body.digest), size: body.size }
    case 'delete':
      return { type: 'deleted', ...base }
    case 'member':
      return { type: 'member-joined', ...base, peer: body.peer, role: body.role }
    case 'revoke':
      return { type: 'member-revoked', ...base, peer: body.peer }
    case 'fault':
      return { type: 'member-suspended', ...base, peer: body.peer, proof: body.proof }
    default:
      return undefined
  }
}

function baseOf (event: Event): Pick<VisEvent, 'key' | 'author' | 'seq' | 'stamp' | 'image' | 'package'> {
  return { key: event.body.key, author: event.author, seq: event.seq, stamp: formatStamp(event.stamp), ...labelsOf(event.body.key) }
}

/** How people name the artifact a key holds, when it is an image or an npm package. */
export function labelsOf (key: string): Pick<VisEvent, 'image' | 'package'> {
  const image = imageLabel(key)
  const pkg = packageLabel(key)
  return { ...(image === undefined ? {} : { image }), ...(pkg === undefined ? {} : { package: pkg }) }
}

/**
 * The `conflict` a remote winner makes, when it supersedes this site's own
 * put of an immutable key (an npm version) with other bytes. An unpublish
 * (an admin's marker) is no conflict; the same bytes are none either.
 */
export function conflictOf (event: Event, previous: Event | undefined, selfId: string, immutable = false): VisEventDraft | undefined {
  if (previous === undefined || previous.author !== selfId || event.author === selfId) return undefined
  if (previous.body.kind !== 'put' || event.body.kind !== 'put') return undefined
  if (!immutable && (parsePackageKey(event.body.key)?.kind !== 'versions' || isUnpublished(event.body.props))) return undefined
  const lost = digestText(previous.body.digest)
  const won = digestText(event.body.digest)
  if (lost === won) return undefined
  return { type: 'conflict', ...baseOf(event), digest: won, cid: cidOf(event.body.digest), size: event.body.size, lostDigest: lost }
}

/**
 * The `overwritten` a remote winner makes, when it supersedes this site's own write (put or
 * delete) of a mutable key: the author site learns that its publish, or its `rm`, lost. The
 * same bytes written again are no loss.
 */
export function overwrittenOf (event: Event, previous: Event | undefined, selfId: string): VisEventDraft | undefined {
  if (previous === undefined || previous.author !== selfId || event.author === selfId) return undefined
  const lost = previous.body.kind
  const won = event.body.kind
  if ((lost !== 'put' && lost !== 'delete') || (won !== 'put' && won !== 'delete')) return undefined
  if (lost === 'delete' && won === 'delete') return undefined
  if (previous.body.kind === 'put' && event.body.kind === 'put' && digestText(previous.body.digest) === digestText(event.body.digest)) return undefined
  return {
    type: 'overwritten',
    ...baseOf(event),
    ...(event.body.kind === 'put' ? { digest: digestText(event.body.digest), cid: cidOf(event.body.digest), size: event.body.size } : {}),
    ...(previous.body.kind === 'put' ? { lostDigest: digestText(previous.body.digest) } : {}),
    lost,
    won
  }
}

/**
 * The `reverted` a voided winner makes: the core removed the key's winning version because its
 * author's writes no longer count (revoked before it, or proven to have signed a contradiction), and
 * the key holds what that version had superseded — or nothing. A collected tombstone (the core drops
 * a stable delete with nothing under it) is no reversion.
 */
export function revertedOf (voided: Event, winner: Event | undefined): VisEventDraft | undefined {
  const lost = voided.body.kind
  if (lost !== 'put' && lost !== 'delete') return undefined
  if (lost === 'delete' && (winner === undefined || winner.body.kind === 'delete')) return undefined
  const won = winner?.body.kind
  if (won !== undefined && won !== 'put' && won !== 'delete') return undefined
  return {
    type: 'reverted',
    ...baseOf(voided),
    peer: voided.author,
    lost,
    ...(voided.body.kind === 'put' ? { lostDigest: digestText(voided.body.digest) } : {}),
    ...(won === undefined ? {} : { won }),
    ...(winner?.body.kind === 'put' ? { digest: digestText(winner.body.digest), cid: cidOf(winner.body.digest), size: winner.body.size } : {})
  }
}

/** Does this event pass a watch/webhook filter? Member events have system keys, so a prefix never hides them. */
export function matches (event: VisEvent, filter: { prefix?: string, types?: readonly VisEventType[] }): boolean {
  if (filter.types !== undefined && filter.types.length > 0 && !filter.types.includes(event.type)) return false
  if (filter.prefix === undefined || filter.prefix === '') return true
  if (event.type === 'member-joined' || event.type === 'member-revoked' || event.type === 'member-suspended') return true
  return event.key.startsWith(filter.prefix)
}
