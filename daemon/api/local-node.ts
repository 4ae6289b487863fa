// The local API's operations over the running parts: publish and rm write
// through the core and answer only once the persist batch holding the new
// event is durable (DurableWaits.whenDurable); reads come from the core's
// in-memory state.

import { randomBytes } from 'node:crypto'
import { rulesKey, type Event, type PutBody } from '../../protocol/event.js'
import { checkRules, RuleSet } from '../../protocol/rules.js'
import { formatStamp } from '../../protocol/hlc.js'
import { MycelError } from '../../protocol/errors.js'
import type { ReplicaApi } from '../../protocol/replica-api.js'
import type { BlobService } from '../blob/service.js'
import { cidOf, digestText, type BlobStore } from '../blob/store.js'
import type { FederationOps } from '../federation/ops.js'
import { DURABLE_TIMEOUT_MS } from '../limits.js'
import type { PeerLagTracker } from '../visibility/peer-lag.js'
import type { BlobRouteComponents } from './blob-routes.js'
import type { Entry, EntryPage, PublishResult, RulesInfo, InviteRequest, InviteResult, MemberInfo, PeerInfo, Reach, RemoveResult, RevokeResult, StatusInfo } from './contract.js'
import type { NodeApi } from './node-routes.js'

/** The part of the mesh the API reads. */
export interface MeshView {
  listenAddrs: () => string[]
  connectedPeers: () => string[]
  knownPeers: () => Array<{ peerId: string, addrs: string[] }>
  /** How a connected peer is reached (net/host.ts); undefined when not connected, or not known (tests). */
  reachOf?: (peer: string) => Reach | undefined
  stats: () => unknown
}

export interface LocalNodeComponents {
  /** The replica as its host (protocol/driver.ts) offers it: a write through it is followed by a tick. */
  replica: ReplicaApi
  blobs: BlobStore
  /** The blob layer (manifests at publish, the /v1/blobs routes); absent in tests of the metadata path. */
  blobService?: BlobService
  /** Resolves once persist batch n is durable; rejects if the store failed. */
  whenDurable: (n: number) => Promise<void>
  lag: PeerLagTracker
  mesh: MeshView
  /** Invite, members, revoke, role (federation/ops.ts). */
  federation?: FederationOps
  /** Members' site names (federation/site-directory.ts). */
  sites?: { nameOf: (peerId: string) => string | undefined }
  /** Counters of other parts (join server, membership gate), shown under status.stats. */
  extraStats?: () => Record<string, unknown>
}

export interface LocalNodeInit {
  peerId: string
  /** This site's name as configured (until its site record is written). */
  name: string
  federation: string
  dir: string
  version: string
  startedAtMs: number
  apiUrl: () => string
}

export function entryOf (event: Event): Entry {
  const body = event.body as PutBody
  return {
    key: body.key,
    digest: digestText(body.digest),
    cid: cidOf(body.digest),
    size: body.size,
    props: body.props,
    author: event.author,
    stamp: formatStamp(event.stamp)
  }
}

export class LocalNode implements Omit<NodeApi, 'join'> {
  private readonly c: LocalNodeComponents
  private readonly init: LocalNodeInit

  constructor (init: LocalNodeInit, components: LocalNodeComponents) {
    this.init = init
    this.c = components
  }

  status (): StatusInfo {
    const { keys, tombstones } = this.c.replica.counts()
    return {
      peerId: this.init.peerId,
      name: this.c.sites?.nameOf(this.init.peerId) ?? this.init.name,
      federation: this.init.federation,
      role: this.c.federation?.role() ?? null,
      listen: this.c.mesh.listenAddrs(),
      api: this.init.apiUrl(),
      peers: this.c.mesh.connectedPeers().map(p => ({ ...this.named(this.c.lag.lagOf(p)), reach: this.reachOf(p) })),
      keys,
      tombstones,
      digest: Buffer.from(this.c.replica.digest()).toString('hex'),
      dir: this.init.dir,
      version: this.init.version,
      uptimeMs: Date.now() - this.init.startedAtMs,
      quota: this.c.blobService?.quotaView() ?? null,
      stats: { ...this.c.replica.stats(), net: this.c.mesh.stats(), ...this.c.extraStats?.() }
    }
  }

  peers (): PeerInfo[] {
    const connected = new Set(this.c.mesh.connectedPeers())
    const known = new Map(this.c.mesh.knownPeers().map(p => [p.peerId, p.addrs]))
    for (const p of connected) if (!known.has(p)) known.set(p, [])
    return [...known].map(([peerId, addrs]) => ({
      ...this.named(this.c.lag.lagOf(peerId)),
      connected: connected.has(peerId),
      addrs,
      reach: connected.has(peerId) ? this.reachOf(peerId) : null
    }))
  }

  private reachOf (peer: string): Reach | null {
    return this.c.mesh.reachOf?.(peer) ?? null
  }

  /** A peer's row with its site name, when it named itself. */
  private named<T extends { peerId: string }> (row: T): T & { name?: string } {
    const name = this.c.sites?.nameOf(row.peerId)
    return name === undefined ? row : { ...row, name }
  }

  /** Up to `limit` live keys under `prefix` after `after`, in key order; `more` when others follow. */
  page (prefix: string, after: string | undefined, limit: number): EntryPage {
    const { events, more } = this.c.replica.page(prefix, after, limit)
    return { entries: events.map(entryOf), more }
  }

  get (key: string): Entry | undefined {
    const event = this.c.replica.get(key)
    return event === undefined || event.body.kind !== 'put' ? undefined : entryOf(event)
  }

  async publish (key: string, props: Record<string, string>, body: AsyncIterable<Uint8Array>): Promise<PublishResult> {
    this.needWriter()
    const blob = await this.c.blobs.put(body, this.c.blobService?.chunkBytes)
    return await this.publishBlob(key, props, blob)
  }

  /** A publish of a file the CLI staged in the blob store's tmp dir (BlobStore.putStaged), instead of a body. */
  async publishStaged (key: string, props: Record<string, string>, staged: string): Promise<PublishResult> {
    this.needWriter()
    const blob = await this.c.blobs.putStaged(staged, this.c.blobService?.chunkBytes)
    return await this.publishBlob(key, props, blob)
  }

  /**
   * The put of stored bytes. Under an immutable rule the core refuses other bytes (CONFLICT, naming
   * the digest held; the stored blob is then an orphan the GC collects) and answers the same bytes
   * with the event already there: `unchanged`, nothing written.
   */
  private async publishBlob (key: string, props: Record<string, string>, blob: { digest: Uint8Array, size: number }): Promise<PublishResult> {
    const unpin = this.c.blobService?.pin(blob.digest)
    try {
      const manifest = await this.c.blobService?.recordManifest(blob as Parameters<BlobService['recordManifest']>[0])
      const before = this.c.replica.get(key)
      const event = await this.writeDurably({ kind: 'put', key, digest: blob.digest, size: blob.size, props, ...(manifest === undefined ? {} : { manifest }) })
      return event === before ? { ...entryOf(event), unchanged: true } : entryOf(event)
    } finally {
      unpin?.()
    }
  }

  rules (): RulesInfo {
    const { set, event } = this.c.replica.rules?.() ?? { set: RuleSet.EMPTY }
    return {
      rules: [...set.rules],
      author: event?.author ?? null,
      authorName: event === undefined ? null : this.c.sites?.nameOf(event.author) ?? null,
      stamp: event === undefined ? null : formatStamp(event.stamp)
    }
  }

  /** Writes a rules event (an admin only), unless the rules in force are these already. */
  async setRules (raw: unknown): Promise<RulesInfo> {
    const rules = checkRules(raw)
    const role = this.c.federation?.role()
    if (role !== 'admin') throw new MycelError('PERMISSION_DENIED', `only an admin sets the federation's rules; this site is ${role === null || role === undefined ? 'not a member' : `a ${role}`}`)
    const current = this.c.replica.rules?.().set.rules ?? []
    if (JSON.stringify(current) === JSON.stringify(rules) && this.c.replica.rules?.().event !== undefined) return this.rules()
    await this.writeDurably({ kind: 'rules', key: rulesKey(randomBytes(16).toString('hex')), rules })
    return this.rules()
  }

  /** What the blob routes (blob-routes.ts) work on: this node's blob layer and its keys. */
  blobParts (): BlobRouteComponents {
    const service = this.c.blobService
    if (service === undefined) throw new MycelError('UNAVAILABLE', 'this node runs no blob layer')
    return { service, byKey: key => this.c.replica.get(key) }
  }

  async remove (key: string): Promise<RemoveResult> {
    if (this.get(key) === undefined) throw new MycelError('NOT_FOUND', `no key ${key}`)
    this.needWriter()
    const event = await this.writeDurably({ kind: 'delete', key })
    return { key, author: event.author, stamp: formatStamp(event.stamp), seq: event.seq }
  }

  invite (req?: InviteRequest): InviteResult {
    return this.fed().invite(req)
  }

  members (): MemberInfo[] {
    return this.fed().members()
  }

  async revoke (peer: string): Promise<RevokeResult> {
    return await this.fed().revoke(peer)
  }

  private fed (): FederationOps {
    if (this.c.federation === undefined) throw new MycelError('INTERNAL', 'this node runs no federation')
    return this.c.federation
  }

  /** Refused before the blob is stored: a reader's publish costs no disk. The core checks again on write. */
  private needWriter (): void {
    const role = this.c.federation?.role()
    if (role === null) throw new MycelError('PERMISSION_DENIED', 'this node is not a member (yet): it cannot publish or delete')
    if (role === 'reader') throw new MycelError('PERMISSION_DENIED', 'this node is a reader: it may fetch but not publish or delete')
  }

  /**
   * The core persists a local write synchronously inside write(), so the
   * newest batch number after write() is the batch holding the event; the
   * write is acknowledged once that batch is on disk.
   */
  async writeDurably (body: Parameters<ReplicaApi['write']>[0]): Promise<Event> {
    const before = this.c.replica.lastBatchNumber()
    const event = this.c.replica.write(body)
    const n = this.c.replica.lastBatchNumber()
    // An immutable key that holds these bytes already: the core wrote nothing and answered with the event there.
    if (n <= before && body.kind === 'put' && event === this.c.replica.get(body.key)) return event
    if (n <= before) throw new MycelError('INTERNAL', 'the core did not persist a local write inside write()')
    await this.durable(n)
    return event
  }

  /** Resolves once persist batch `n` (and every one before it) is on disk; TIMEOUT after DURABLE_TIMEOUT_MS. */
  async durable (n: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        this.c.whenDurable(n),
        new Promise((_resolve, reject) => {
          timer = setTimeout(() => { reject(new MycelError('TIMEOUT', `the write was not durable within ${DURABLE_TIMEOUT_MS} ms`)) }, DURABLE_TIMEOUT_MS)
        })
      ])
    } finally {
      clearTimeout(timer)
    }
  }
}
