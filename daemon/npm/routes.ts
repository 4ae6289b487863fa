// The npm registry's handlers, one per endpoint and method (paths.ts). Reads
// need the reader role, publishes, deprecations and dist-tags the writer role,
// unpublishing the admin role (changes.ts); the site's own role still bounds
// every write (the core refuses a write this site may not make: 403).

import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import type { Auth } from '../registry/auth.js'
import type { RegistryBackend, Role } from '../registry/backend.js'
import { readBody } from '../registry/http.js'
import { applyDocumentUpdate, planDocumentUpdate, refusal, unpublishAll } from './changes.js'
import { MAX_METADATA_BODY_BYTES } from './constants.js'
import { NpmError } from './errors.js'
import { tagKey } from './keys.js'
import { checkName, checkTag, tarballFile } from './names.js'
import { exists, loadPackage, resolveSpec, type PackageState } from './package-state.js'
import { ABBREVIATED, abbreviatedPackument, fullPackument, versionDoc } from './packument.js'
import { applyPublish, asObject, planPublish } from './publish.js'
import { search } from './search.js'
import type { NpmRoute } from './paths.js'

export interface NpmContext {
  backend: RegistryBackend
  auth: Auth
  maxPublishBytes: number
  now: () => number
  /** Runs `work` alone among the changes to one package, and among at most a few publish bodies at once. */
  serialize: <T>(name: string, work: () => Promise<T>) => Promise<T>
  publishSlot: <T>(work: () => Promise<T>) => Promise<T>
}

export interface NpmRequest { req: IncomingMessage, res: ServerResponse, url: URL, base: string }

type Handler = () => Promise<void> | void

export function handlersOf (ctx: NpmContext, r: NpmRequest, route: NpmRoute): Partial<Record<string, Handler>> {
  switch (route.kind) {
    case 'ping': return { GET: () => { sendJson(r.res, 200, {}) } }
    case 'whoami': return { GET: () => { whoami(ctx, r) } }
    case 'search': return { GET: () => { searchRoute(ctx, r) } }
    case 'login': return { PUT: () => { throw new NpmError(401, 'this registry does not log in with a password: ask the site\'s operator for a token (mycel registry login-token USER --role ROLE) and put it in .npmrc as //HOST/:_authToken=USER:SECRET') } }
    case 'tags': return { GET: () => { getTags(ctx, r, route.name) } }
    case 'tag': return {
      PUT: async () => { await putTag(ctx, r, route.name, route.tag) },
      DELETE: async () => { await deleteTag(ctx, r, route.name, route.tag) }
    }
    case 'package': return {
      GET: () => { getPackument(ctx, r, route.name) },
      PUT: async () => { await publish(ctx, r, route.name) }
    }
    case 'package-rev': return {
      PUT: async () => { await updateDocument(ctx, r, route.name, route.rev) },
      DELETE: async () => { await removePackage(ctx, r, route.name, route.rev) }
    }
    case 'tarball': return { GET: async () => { await getTarball(ctx, r, route.name, route.file) } }
    case 'tarball-rev': return { DELETE: () => { ctx.auth.check(r.req, 'admin'); sendJson(r.res, 200, { ok: true }) } }
    case 'version': return { GET: () => { getVersion(ctx, r, route.name, route.spec) } }
  }
}

function whoami (ctx: NpmContext, r: NpmRequest): void {
  const { user } = ctx.auth.identify(r.req, 'reader')
  if (user === undefined) throw new NpmError(401, 'not logged in: this request carried no token')
  sendJson(r.res, 200, { username: user })
}

function searchRoute (ctx: NpmContext, r: NpmRequest): void {
  ctx.auth.check(r.req, 'reader')
  const int = (name: string, fallback: number): number => {
    const v = Number(r.url.searchParams.get(name) ?? fallback)
    return Number.isInteger(v) && v >= 0 ? v : fallback
  }
  sendJson(r.res, 200, search(ctx.backend, { text: r.url.searchParams.get('text') ?? '', size: int('size', 20), from: int('from', 0) }))
}

function readable (ctx: NpmContext, r: NpmRequest, name: string): PackageState {
  ctx.auth.check(r.req, 'reader')
  checkName(name)
  const p = loadPackage(ctx.backend, name)
  if (!exists(p)) throw NpmError.notFound(p.unpublished.size > 0 ? `${name} was unpublished` : `${name} is not in this registry`)
  return p
}

function getPackument (ctx: NpmContext, r: NpmRequest, name: string): void {
  const p = readable(ctx, r, name)
  const accept = r.req.headers.accept ?? ''
  const etag = `"${p.rev}"`
  if (r.req.headers['if-none-match'] === etag) {
    r.res.writeHead(304, { etag })
    r.res.end()
    return
  }
  if (accept.includes(ABBREVIATED)) sendJson(r.res, 200, abbreviatedPackument(p, r.base), { 'content-type': ABBREVIATED, etag })
  else sendJson(r.res, 200, fullPackument(p, r.base), { etag })
}

function getVersion (ctx: NpmContext, r: NpmRequest, name: string, spec: string): void {
  const p = readable(ctx, r, name)
  const v = resolveSpec(p, spec)
  if (v === undefined) throw NpmError.notFound(`${name}@${spec} is not in this registry`)
  sendJson(r.res, 200, versionDoc(p, v, r.base))
}

function getTags (ctx: NpmContext, r: NpmRequest, name: string): void {
  sendJson(r.res, 200, Object.fromEntries(readable(ctx, r, name).tags))
}

async function getTarball (ctx: NpmContext, r: NpmRequest, name: string, file: string): Promise<void> {
  const p = readable(ctx, r, name)
  const v = [...p.versions.values()].find(x => tarballFile(name, x.version) === file)
  if (v === undefined) throw NpmError.notFound(`${name} has no tarball ${file}`)
  const { size, stream } = await ctx.backend.openBlob(v.digest)
  r.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) })
  await pipeline(Readable.from(stream), r.res)
}

/**
 * PUT /<name>: a publish when the body carries tarballs; otherwise the whole
 * document sent back edited (what `npm deprecate` does since npm 7), an
 * update with the body's own `_rev`.
 */
async function publish (ctx: NpmContext, r: NpmRequest, name: string): Promise<void> {
  const { user, role } = ctx.auth.identify(r.req, 'writer')
  checkName(name)
  let updated = false
  await ctx.publishSlot(async () => {
    const body = asObject(await readJson(r.req, ctx.maxPublishBytes), 'the publish body')
    const attachments = body._attachments
    if (typeof attachments !== 'object' || attachments === null || Object.keys(attachments).length === 0) {
      const rev = body._rev
      if (typeof rev !== 'string') throw NpmError.badRequest('a publish carries its tarball in _attachments; an update of the document carries its _rev')
      await updateWith(ctx, name, role, rev, body)
      updated = true
      return
    }
    await ctx.serialize(name, async () => {
      const current = loadPackage(ctx.backend, name)
      const plan = planPublish(name, body, current, nowIso(ctx), user)
      await applyPublish(ctx.backend, plan, current)
    })
  })
  sendJson(r.res, updated ? 200 : 201, { ok: true, id: name, rev: loadPackage(ctx.backend, name).rev })
}

async function updateDocument (ctx: NpmContext, r: NpmRequest, name: string, rev: string): Promise<void> {
  const role = ctx.auth.check(r.req, 'writer')
  checkName(name)
  await updateWith(ctx, name, role, rev, await readJson(r.req, ctx.maxPublishBytes))
  sendJson(r.res, 200, { ok: true, id: name, rev: loadPackage(ctx.backend, name).rev })
}

/** A document update by a caller of `role` (its auth already checked), alone among the package's changes. */
async function updateWith (ctx: NpmContext, name: string, role: Role, rev: string, body: unknown): Promise<void> {
  await ctx.serialize(name, async () => {
    const p = loadPackage(ctx.backend, name)
    if (!exists(p)) throw NpmError.notFound(`${name} is not in this registry`)
    const changes = planDocumentUpdate(p, rev, body)
    const refused = refusal(changes, role, name)
    if (refused !== undefined) throw refused
    await applyDocumentUpdate(ctx.backend, p, changes, nowIso(ctx))
  })
}

async function removePackage (ctx: NpmContext, r: NpmRequest, name: string, rev: string): Promise<void> {
  ctx.auth.check(r.req, 'admin')
  checkName(name)
  await ctx.serialize(name, async () => {
    const p = loadPackage(ctx.backend, name)
    if (!exists(p)) throw NpmError.notFound(`${name} is not in this registry`)
    await unpublishAll(ctx.backend, p, rev, nowIso(ctx))
  })
  sendJson(r.res, 200, { ok: true, id: name })
}

async function putTag (ctx: NpmContext, r: NpmRequest, name: string, tag: string): Promise<void> {
  ctx.auth.check(r.req, 'writer')
  checkName(name)
  checkTag(tag)
  const version = await readJson(r.req, MAX_METADATA_BODY_BYTES)
  if (typeof version !== 'string') throw NpmError.badRequest('the body of a dist-tag is the version, as a JSON string')
  await ctx.serialize(name, async () => {
    const p = loadPackage(ctx.backend, name)
    const target = p.versions.get(version)
    if (target === undefined) throw NpmError.notFound(`${name}@${version} is not published here`)
    await ctx.backend.putKey(tagKey(name, tag), { digest: target.digest, size: target.size, props: { version } })
  })
  sendJson(r.res, 201, { ok: true })
}

async function deleteTag (ctx: NpmContext, r: NpmRequest, name: string, tag: string): Promise<void> {
  ctx.auth.check(r.req, 'writer')
  checkName(name)
  checkTag(tag)
  if (tag === 'latest') throw NpmError.badRequest('the latest tag cannot be removed (move it instead: npm dist-tag add NAME@VERSION latest)')
  await ctx.serialize(name, async () => {
    if (!loadPackage(ctx.backend, name).tags.has(tag)) throw NpmError.notFound(`${name} has no dist-tag ${tag}`)
    await ctx.backend.deleteKey(tagKey(name, tag))
  })
  sendJson(r.res, 200, { ok: true })
}

async function readJson (req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(req, limit, () => NpmError.tooLarge(`the request body is larger than this registry's limit of ${limit} bytes`))
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    throw NpmError.badRequest('the request body is not JSON')
  }
}

/** Now, as npm's documents write times. */
function nowIso (ctx: NpmContext): string {
  return new Date(ctx.now()).toISOString()
}

export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers })
  res.end(text)
}
