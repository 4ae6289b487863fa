// This site's npm registry as one part of the daemon (lifecycle.ts): the
// backend over the running federation (the container registry's, registry/
// site-backend.ts: the same keys and blobs, the same credentials) and the HTTP
// server on `npmListen`. Off unless asked, like the container registry: it is
// a network service with its own users, and docs/npm.md says how to expose it.

import type { Logger } from '../log.js'
import { parseListenAddr } from '../listen-addr.js'
import type { RegistryCredentials } from '../registry/credentials.js'
import type { SiteParts } from '../registry/site-backend.js'
import { SiteBackend } from '../registry/site-backend.js'
import { TARBALL_FETCH_WAIT_MS } from './constants.js'
import { NpmServer } from './server.js'

export interface SiteNpmInit {
  listen: string
  anonymous?: 'reader'
}

export class SiteNpm {
  private server: NpmServer | undefined

  constructor (private readonly init: SiteNpmInit, private readonly c: { parts: () => SiteParts, credentials: RegistryCredentials, log: Logger }) {}

  get url (): string | undefined { return this.server?.url }

  async start (): Promise<void> {
    const backend = new SiteBackend({ parts: this.c.parts, credentials: this.c.credentials, fetchWaitMs: TARBALL_FETCH_WAIT_MS })
    const log = this.c.log
    const server = new NpmServer({
      backend,
      log: (level, msg, fields) => { log[level](msg, { part: 'npm', ...fields }) },
      ...(this.init.anonymous === undefined ? {} : { anonymous: this.init.anonymous })
    })
    const addr = parseListenAddr(this.init.listen, 'npmListen')
    // Loopback unless a host is given: a registry reachable from the network is a choice to make, not a default.
    await server.start({ host: addr.host ?? '127.0.0.1', port: addr.port })
    this.server = server
  }

  async stop (): Promise<void> {
    await this.server?.stop()
    this.server = undefined
  }
}
