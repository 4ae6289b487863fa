// Who may use this site's registry, and as what: users with a random secret
// (issued by `mycel registry login-token`) mapped to a mycel role. Only the
// secret's sha-256 is stored (`<dir>/registry/credentials.json`, 0600), so the
// file alone lets nobody in. A credential never gives more than the site itself
// may do: a reader site's "writer" credential still cannot push (the core
// refuses the write, the registry answers 403).

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MycelError } from '../../protocol/errors.js'
import type { Role } from './backend.js'

export interface RegistryUser {
  user: string
  role: Role
  createdAt: string
}

interface StoredUser extends RegistryUser {
  /** hex sha-256 of the secret. */
  secretSha256: string
}

/** A user name: what `--creds user:secret` and `podman login -u` take; no ':' (it ends the user). */
const USER = /^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$/
/** Users one site keeps: a registry for people and pipelines, not a directory. */
export const MAX_REGISTRY_USERS = 1000
const ROLES: readonly Role[] = ['reader', 'writer', 'admin']

export class RegistryCredentials {
  private users: StoredUser[] = []
  private readonly file: string

  constructor (dir: string) {
    this.file = join(dir, 'registry', 'credentials.json')
  }

  async load (): Promise<void> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    const parsed = JSON.parse(text) as unknown
    if (!Array.isArray(parsed)) throw MycelError.usage(`${this.file} is not a list of registry users`)
    this.users = parsed.filter((u): u is StoredUser => typeof u?.user === 'string' && ROLES.includes(u?.role) && typeof u?.secretSha256 === 'string' && /^[0-9a-f]{64}$/.test(u.secretSha256))
  }

  /** Issues a new secret for `user` (replacing any it had): returned once, stored hashed. */
  async issue (user: string, role: Role, nowMs: number): Promise<{ user: string, role: Role, secret: string }> {
    if (!USER.test(user)) throw MycelError.usage('a registry user is 1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit')
    if (!ROLES.includes(role)) throw MycelError.usage(`a registry role is one of ${ROLES.join(', ')}`)
    const rest = this.users.filter(u => u.user !== user)
    if (rest.length >= MAX_REGISTRY_USERS) throw MycelError.usage(`this site already has ${MAX_REGISTRY_USERS} registry users; remove some first`)
    const secret = randomBytes(24).toString('base64url')
    this.users = [...rest, { user, role, createdAt: new Date(nowMs).toISOString(), secretSha256: sha256Hex(secret) }]
    await this.save()
    return { user, role, secret }
  }

  async remove (user: string): Promise<boolean> {
    const before = this.users.length
    this.users = this.users.filter(u => u.user !== user)
    if (this.users.length === before) return false
    await this.save()
    return true
  }

  list (): RegistryUser[] {
    return this.users.map(({ user, role, createdAt }) => ({ user, role, createdAt }))
  }

  /** The role of a credential, or undefined; every entry is compared, so timing tells nothing. */
  roleOf (credential: { user: string, secret: string }): Role | undefined {
    const hash = Buffer.from(sha256Hex(credential.secret), 'hex')
    let role: Role | undefined
    for (const u of this.users) {
      if (timingSafeEqual(hash, Buffer.from(u.secretSha256, 'hex')) && u.user === credential.user) role = u.role
    }
    return role
  }

  private async save (): Promise<void> {
    await mkdir(join(this.file, '..'), { recursive: true, mode: 0o700 })
    const tmp = `${this.file}.tmp`
    await writeFile(tmp, JSON.stringify(this.users, null, 2) + '\n', { mode: 0o600 })
    await chmod(tmp, 0o600)
    await rename(tmp, this.file)
  }
}

function sha256Hex (s: string): string {
  return createHash('sha256').update(s).digest('hex')
}
