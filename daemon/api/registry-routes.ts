// The local API's registry routes: users of this site's container registry
// (`mycel registry login-token | users | remove`). Their secrets are returned
// once, at issue; only hashes are kept (registry/credentials.ts).
//   POST   /v1/registry/users?user=U&role=R   { user, role, secret, registry }
//   GET    /v1/registry/users                 [{ user, role, createdAt }], and where the registry listens
//   DELETE /v1/registry/users?user=U          { user, removed }

import { MycelError } from '../../protocol/errors.js'
import type { Role } from '../registry/backend.js'
import type { RegistryCredentials } from '../registry/credentials.js'
import { sendJson } from './errors.js'
import type { Route } from './router.js'

export interface RegistryRouteParts {
  credentials: RegistryCredentials
  /** `http://host:port` where the container registry listens, if it does. */
  url: () => string | undefined
  /** `http://host:port` where the npm registry listens, if it does (the same users serve both). */
  npmUrl?: () => string | undefined
}

export function registryRoutes (parts: () => RegistryRouteParts | undefined): Route[] {
  const need = (): RegistryRouteParts => {
    const p = parts()
    if (p === undefined) throw new MycelError('UNAVAILABLE', 'this site serves no registry: start the daemon with --registry ADDR or --npm ADDR')
    return p
  }
  return [
    {
      method: 'POST',
      path: '/v1/registry/users',
      auth: 'token',
      handle: async (_req, res, { url }) => {
        const p = need()
        const user = url.searchParams.get('user') ?? ''
        const role = (url.searchParams.get('role') ?? 'reader') as Role
        const issued = await p.credentials.issue(user, role, Date.now())
        sendJson(res, 200, { ...issued, registry: p.url() ?? null, npm: p.npmUrl?.() ?? null })
      }
    },
    {
      method: 'GET',
      path: '/v1/registry/users',
      auth: 'token',
      handle: (_req, res) => { const p = need(); sendJson(res, 200, { registry: p.url() ?? null, npm: p.npmUrl?.() ?? null, users: p.credentials.list() }) }
    },
    {
      method: 'DELETE',
      path: '/v1/registry/users',
      auth: 'token',
      handle: async (_req, res, { url }) => {
        const user = url.searchParams.get('user') ?? ''
        const removed = await need().credentials.remove(user)
        if (!removed) throw new MycelError('NOT_FOUND', `no registry user ${user}`)
        sendJson(res, 200, { user, removed })
      }
    }
  ]
}
