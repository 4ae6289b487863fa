// Who may do what. Credentials arrive as HTTP Basic (`user:secret`, the form
// skopeo, podman, docker and oras all send with --creds or a login) and the
// backend maps them to a mycel role: reader pulls, writer pushes, admin also
// deletes. No credentials: 401 with the Basic challenge clients expect
// (unless anonymous pulls are allowed); known credentials with too small a
// role: 403 DENIED. Failed logins are counted per client address, and an
// address guessing too fast gets 429 for a while: a secret stays expensive to
// guess even over many connections.

import type { IncomingMessage } from 'node:http'
import { ROLE_RANK, type Role } from './backend.js'
import { FAILED_AUTH_WINDOW_MS, MAX_FAILED_AUTH, MAX_FAILED_AUTH_ADDRESSES } from './constants.js'
import { RegistryError } from './errors.js'

export const CHALLENGE = 'Basic realm="mycel"'

export type Need = Role

export interface AuthInit {
  /** Role of requests without credentials: 'reader' makes pulls anonymous. Default undefined (every request needs credentials). */
  anonymous?: Role
}

export interface AuthComponents {
  roleOf: (credential: { user: string, secret: string }) => Role | undefined
  now: () => number
  /** Reads the credential from an Authorization header. Default parseBasic; the npm registry also takes `Bearer USER:SECRET`. */
  parse?: (header: string | undefined) => { user: string, secret: string } | undefined
}

/** `Authorization: Basic base64(user:secret)` → the credential, undefined when absent; malformed is 401. */
export function parseBasic (header: string | undefined): { user: string, secret: string } | undefined {
  if (header === undefined) return undefined
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,4096})\s*$/i.exec(header)
  if (m === null) throw unauthorized('only Basic credentials are accepted')
  const text = Buffer.from(m[1], 'base64').toString('utf8')
  const colon = text.indexOf(':')
  if (colon < 0) throw unauthorized('malformed Basic credentials')
  return { user: text.slice(0, colon), secret: text.slice(colon + 1) }
}

export function unauthorized (message = 'authentication required'): RegistryError {
  return new RegistryError('UNAUTHORIZED', message, { headers: { 'www-authenticate': CHALLENGE } })
}

export class Auth {
  private readonly init: AuthInit
  private readonly c: AuthComponents
  /** address → times of failed logins within the window; insertion order is age (the oldest address is dropped first). */
  private readonly failures = new Map<string, number[]>()

  constructor (init: AuthInit, components: AuthComponents) {
    this.init = init
    this.c = components
  }

  /** The caller's role if it is at least `need`; else throws 401, 403 or 429. */
  check (req: IncomingMessage, need: Need): Role {
    return this.identify(req, need).role
  }

  /** Like check, and who the caller is (undefined when anonymous). */
  identify (req: IncomingMessage, need: Need): { role: Role, user: string | undefined } {
    const address = req.socket.remoteAddress ?? '?'
    const credential = (this.c.parse ?? parseBasic)(req.headers.authorization)
    let role: Role | undefined
    if (credential === undefined) {
      role = this.init.anonymous
      if (role === undefined) throw unauthorized()
    } else {
      this.refuseIfGuessing(address)
      role = this.c.roleOf(credential)
      if (role === undefined) {
        this.recordFailure(address)
        throw unauthorized('unknown user or wrong secret')
      }
    }
    if (ROLE_RANK[role] < ROLE_RANK[need]) {
      // An anonymous caller may still log in as someone who can: challenge it.
      if (credential === undefined) throw unauthorized(`${need} access needs credentials`)
      throw RegistryError.denied(`this needs the ${need} role; ${credential.user} is a ${role}`)
    }
    return { role, user: credential?.user }
  }

  private refuseIfGuessing (address: string): void {
    const times = this.recent(address)
    if (times.length >= MAX_FAILED_AUTH) {
      const retryS = Math.ceil((times[0] + FAILED_AUTH_WINDOW_MS - this.c.now()) / 1000)
      throw RegistryError.tooMany(`too many failed logins from ${address}; try again in ${retryS} s`, Math.max(1, retryS))
    }
  }

  private recordFailure (address: string): void {
    const times = this.recent(address)
    times.push(this.c.now())
    this.failures.delete(address)
    this.failures.set(address, times)
    while (this.failures.size > MAX_FAILED_AUTH_ADDRESSES) {
      const oldest = this.failures.keys().next().value as string
      this.failures.delete(oldest)
    }
  }

  private recent (address: string): number[] {
    const since = this.c.now() - FAILED_AUTH_WINDOW_MS
    const times = (this.failures.get(address) ?? []).filter(t => t > since)
    if (times.length === 0) this.failures.delete(address)
    else this.failures.set(address, times)
    return times
  }
}
