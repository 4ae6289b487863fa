// Every member's site record — its human name, groups and replication policy,
// from the signed `site` events each writes of itself (protocol/event.ts
// SiteBody) — and our own record, written when it differs from the config. The
// CLI tables, the page, metrics, webhooks and `publish --wait-*` read names and
// policies here; a name claimed twice is settled by protocol/site-names.ts.

import { hostname } from 'node:os'
import { isMycelError, MycelError } from '../../protocol/errors.js'
import { siteKey, type Event, type ReplicateMode, type SiteBody } from '../../protocol/event.js'
import { SITE_NAME } from '../../protocol/codec.js'
import type { ReplicaApi } from '../../protocol/replica-api.js'
import { settleNames } from '../../protocol/site-names.js'
import type { Logger } from '../log.js'

/** What this site says of itself (from the config). */
export interface OwnSite {
  name: string
  /** Chosen by the operator (--name, config): refused when taken. A default from the host name never is: a clash is settled (protocol/site-names.ts). */
  explicit: boolean
  groups: string[]
  policy: SiteBody['policy']
}

export interface SiteRecord {
  peerId: string
  /** Settled: unique in the federation (a later claim of a taken name shows as `name~<peer suffix>`). */
  name: string
  groups: string[]
  policy: SiteBody['policy']
}

export class SiteDirectory {
  private readonly sites = new Map<string, Event & { body: SiteBody }>()
  private settled: Map<string, string> | undefined

  constructor (private readonly selfId: string, private readonly own: OwnSite, private readonly c: { replica: Pick<ReplicaApi, 'get' | 'write'>, log: Logger }) {}

  /** Every stored site event (on start, from the snapshot). */
  learnAll (events: Iterable<Event>): void {
    for (const e of events) this.learn(e)
  }

  /** Observer hook: an event became the winner of its key. */
  learn (event: Event): void {
    if (event.body.kind !== 'site') return
    this.sites.set(event.author, event as Event & { body: SiteBody })
    this.settled = undefined
  }

  /** The settled name of a member, if it named itself. */
  nameOf (peerId: string): string | undefined {
    return this.names().get(peerId)
  }

  /** Who holds a (settled) name. */
  peerOf (name: string): string | undefined {
    for (const [peer, n] of this.names()) if (n === name) return peer
    return undefined
  }

  /** Another member that claimed `name` before us (it keeps it), if any. */
  holderOf (name: string): string | undefined {
    const peer = this.peerOf(name)
    return peer === this.selfId ? undefined : peer
  }

  /** Members' records, for sites that named themselves. */
  records (): SiteRecord[] {
    const names = this.names()
    return [...this.sites.values()].map(e => ({ peerId: e.author, name: names.get(e.author) ?? e.body.name, groups: e.body.groups, policy: e.body.policy }))
  }

  record (peerId: string): SiteRecord | undefined {
    const e = this.sites.get(peerId)
    return e === undefined ? undefined : { peerId, name: this.nameOf(peerId) ?? e.body.name, groups: e.body.groups, policy: e.body.policy }
  }

  /** A member's mode for `key` by its announced policy (undefined: it announced none). */
  modeOf (peerId: string, key: string): ReplicateMode | undefined {
    const policy = this.sites.get(peerId)?.body.policy
    if (policy === undefined) return undefined
    let best: [string, ReplicateMode] | undefined
    for (const p of policy.prefixes) if (key.startsWith(p[0]) && (best === undefined || p[0].length > best[0].length)) best = p
    return best?.[1] ?? policy.mode
  }

  /** Writes our site event if it differs from the config (a joiner: once it has seen its own grant). */
  announce (): void {
    const key = siteKey(this.selfId)
    const current = this.c.replica.get(key)
    if (current?.body.kind === 'site' && sameSite(current.body, this.own)) return
    const taken = this.holderOf(this.own.name)
    if (taken !== undefined && this.own.explicit) this.c.log.warn('our site name is taken by another member; choose another with --name', { name: this.own.name, holder: taken })
    try {
      this.c.replica.write({ kind: 'site', key, name: this.own.name, groups: this.own.groups, policy: this.own.policy })
    } catch (err) {
      if (isMycelError(err, 'PERMISSION_DENIED')) this.c.log.debug('not a member yet: our site record is written once admitted')
      else this.c.log.warn('could not write our site record', { err })
    }
  }

  private names (): Map<string, string> {
    this.settled ??= settleNames(this.sites.values())
    return this.settled
  }
}

/** A default site name from the host name, in the names' grammar (lowercase, digits, '-', '.', '_'). */
export function defaultSiteName (host = hostname()): string {
  const name = host.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 63)
  return name === '' ? 'site' : name
}

/** Checks a name or group given by an operator, with a USAGE error naming `what`. */
export function checkSiteName (name: string, what: string): string {
  if (!SITE_NAME.test(name)) throw MycelError.usage(`${what} must be lowercase letters, digits, '-', '.' or '_', starting with a letter or digit, at most 63 characters: '${name}'`)
  return name
}

function sameSite (a: SiteBody, b: OwnSite): boolean {
  return a.name === b.name && JSON.stringify(a.groups) === JSON.stringify(b.groups) && JSON.stringify(a.policy) === JSON.stringify(b.policy)
}
