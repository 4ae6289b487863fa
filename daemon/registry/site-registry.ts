// This site's container registry as one part of the daemon (lifecycle.ts):
// the credentials (shared with the npm registry), the backend over the running federation, and the
// HTTP server on `registryListen`. Off unless asked (docs/registry.md says why).

import type { Event, NewEventBody } from '../../protocol/event.js'
import type { BlobService } from '../blob/service.js'
import type { BlobStore } from '../blob/store.js'
import type { Logger } from '../log.js'
import { parseListenAddr } from '../listen-addr.js'
import type { RegistryCredentials } from './credentials.js'
import { createRegistryServer, type RegistryServer } from './server.js'
import { SiteBackend } from './site-backend.js'

/** A pull waits this long for bytes held elsewhere before it answers 503. */
export const REGISTRY_FETCH_WAIT_MS = 120_000

export interface SiteRegistryInit {
  listen: string
  gcGraceMs?: number
  anonymous?: 'reader'
}

/** The running federation's parts the registry uses (they change when the node switches federation). */
export interface RegistryFederationParts {
  get: (key: string) => Event | undefined
  /** Live puts under prefix after a key, in key order (LwwState.page): a page without the whole listing. */
  page: (prefix: string, after: string | undefined, limit: number) => { events: Event[], more: boolean }
  blobService: BlobService
  writeDurably: (body: NewEventBody) => Promise<Event>
}

export class SiteRegistry {
  private server: RegistryServer | undefined

  /** `credentials`: loaded by the caller, shared with the npm registry (the same users serve both). */
  constructor (private readonly init: SiteRegistryInit, private readonly c: { blobs: BlobStore, federation: () => RegistryFederationParts, credentials: RegistryCredentials, log: Logger }) {}

  get url (): string | undefined { return this.server?.url }

  async start (): Promise<void> {
    const backend = new SiteBackend({
      parts: () => ({ ...this.c.federation(), blobs: this.c.blobs }),
      credentials: this.c.credentials,
      fetchWaitMs: REGISTRY_FETCH_WAIT_MS
    })
    const log = this.c.log
    const server = createRegistryServer({
      backend,
      log: (level, msg, fields) => { log[level](msg, { part: 'registry', ...fields }) },
      ...(this.init.anonymous === undefined ? {} : { anonymous: this.init.anonymous }),
      ...(this.init.gcGraceMs === undefined ? {} : { gc: { graceMs: this.init.gcGraceMs } })
    })
    const addr = parseListenAddr(this.init.listen, 'registryListen')
    await server.start({ host: addr.host ?? '0.0.0.0', port: addr.port })
    this.server = server
  }

  async stop (): Promise<void> {
    await this.server?.stop()
    this.server = undefined
  }
}
