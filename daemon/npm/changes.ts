// Changes to a published package other than a publish: what `npm deprecate`,
// `npm unpublish` and `npm dist-tag` send. Deprecate and unpublish read the
// whole packument (GET /<name>?write=true), edit it and PUT it back to
// /<name>/-rev/<rev>; the difference from what is stored says what changed:
// a version whose `deprecated` differs is (un)deprecated, a version missing is
// unpublished, a dist-tag added, moved or gone is written. The rev must still
// be current (409 otherwise), so a document read before someone else's publish
// cannot unpublish that publish by omission.
//
// Unpublishing needs an admin (npm reserves it for owners, and mycel's writer
// is not one); it replaces the version key with a marker that names the empty
// blob, so the tarball's bytes are freed while the version stays unusable.

import { createHash } from 'node:crypto'
import type { RegistryBackend, Role } from '../registry/backend.js'
import { ROLE_RANK } from '../registry/backend.js'
import { MAX_DEPRECATION_BYTES } from './constants.js'
import { NpmError } from './errors.js'
import { deprecationKey, tagKey, versionKey } from './keys.js'
import { unpublishedProps } from './manifest-props.js'
import { checkTag } from './names.js'
import type { PackageState } from './package-state.js'
import { asObject } from './publish.js'

const EMPTY_DIGEST = 'sha256:' + createHash('sha256').digest('hex')

export interface DocumentChanges {
  unpublish: string[]
  /** version → message ('' to lift a deprecation). */
  deprecate: Array<[string, string]>
  setTags: Array<[string, string]>
  dropTags: string[]
}

export function planDocumentUpdate (p: PackageState, rev: string, body: unknown): DocumentChanges {
  if (rev !== p.rev) throw NpmError.conflict(`${p.name} changed since it was read (revision ${rev.slice(0, 40)}, now ${p.rev}); read it again and retry`)
  const doc = asObject(body, 'the package document')
  if (doc.name !== undefined && doc.name !== p.name) throw NpmError.badRequest(`the document is for ${String(doc.name).slice(0, 240)}, not ${p.name}`)
  const versions = asObject(doc.versions ?? {}, 'versions')
  const changes: DocumentChanges = { unpublish: [], deprecate: [], setTags: [], dropTags: [] }
  for (const v of Object.keys(versions)) {
    if (!p.versions.has(v)) throw NpmError.badRequest(`${p.name}@${v} is not published here; new versions are published with npm publish`)
  }
  for (const v of p.versions.keys()) {
    const sent = versions[v]
    if (sent === undefined) {
      changes.unpublish.push(v)
      continue
    }
    const deprecated = asObject(sent, `versions["${v}"]`).deprecated
    if (deprecated !== undefined && typeof deprecated !== 'string') throw NpmError.badRequest(`${p.name}@${v}: deprecated is not a string`)
    if (typeof deprecated === 'string' && Buffer.byteLength(deprecated) > MAX_DEPRECATION_BYTES) throw NpmError.badRequest(`${p.name}@${v}: a deprecation message is at most ${MAX_DEPRECATION_BYTES} bytes`)
    const now = p.deprecations.get(v) ?? ''
    if ((deprecated ?? now) !== now) changes.deprecate.push([v, deprecated ?? ''])
  }
  const tags = asObject(doc['dist-tags'] ?? Object.fromEntries(p.tags), 'dist-tags')
  for (const [tag, v] of Object.entries(tags)) {
    checkTag(tag)
    if (typeof v !== 'string' || !p.versions.has(v) || changes.unpublish.includes(v)) throw NpmError.badRequest(`dist-tag ${tag} names ${JSON.stringify(v)}, which is not a published version of ${p.name}`)
    if (p.tags.get(tag) !== v) changes.setTags.push([tag, v])
  }
  for (const tag of p.tags.keys()) if (tags[tag] === undefined) changes.dropTags.push(tag)
  return changes
}

/** What a caller of `role` may not do of these changes, as an error; undefined when all is allowed. */
export function refusal (changes: DocumentChanges, role: Role, name: string): NpmError | undefined {
  if (changes.unpublish.length > 0 && ROLE_RANK[role] < ROLE_RANK.admin) {
    return NpmError.forbidden(`unpublishing ${name}@${changes.unpublish.join(', ')} needs the admin role`)
  }
  return undefined
}

export async function applyDocumentUpdate (backend: RegistryBackend, p: PackageState, changes: DocumentChanges, nowIso: string): Promise<void> {
  for (const [tag, v] of changes.setTags) {
    const target = p.versions.get(v)
    if (target !== undefined) await backend.putKey(tagKey(p.name, tag), { digest: target.digest, size: target.size, props: { version: v } })
  }
  for (const tag of changes.dropTags) await backend.deleteKey(tagKey(p.name, tag))
  for (const [v, message] of changes.deprecate) {
    const target = p.versions.get(v)
    if (target === undefined) continue
    if (message === '') await backend.deleteKey(deprecationKey(p.name, v))
    else await backend.putKey(deprecationKey(p.name, v), { digest: target.digest, size: target.size, props: { message } })
  }
  if (changes.unpublish.length > 0) await unpublish(backend, p, changes.unpublish, nowIso)
}

/** Every version gone: what DELETE /<name>/-rev/<rev> asks. */
export async function unpublishAll (backend: RegistryBackend, p: PackageState, rev: string, nowIso: string): Promise<void> {
  if (rev !== p.rev) throw NpmError.conflict(`${p.name} changed since it was read (revision ${rev.slice(0, 40)}, now ${p.rev}); read it again and retry`)
  for (const tag of p.tags.keys()) await backend.deleteKey(tagKey(p.name, tag))
  await unpublish(backend, p, [...p.versions.keys()], nowIso)
}

async function unpublish (backend: RegistryBackend, p: PackageState, versions: string[], nowIso: string): Promise<void> {
  await ensureEmptyBlob(backend)
  // Tags are not touched here: a document update moved or dropped them already (a tag naming an unpublished version is refused), unpublishAll drops them all.
  for (const v of versions) {
    if (p.deprecations.has(v)) await backend.deleteKey(deprecationKey(p.name, v))
    await backend.putKey(versionKey(p.name, v), { digest: EMPTY_DIGEST, size: 0, props: unpublishedProps(nowIso) })
  }
}

/** The empty blob, which unpublish markers name (a key must name a blob the federation knows). */
async function ensureEmptyBlob (backend: RegistryBackend): Promise<void> {
  const writer = await backend.beginBlob({ maxBytes: 0 })
  const done = await writer.commit(EMPTY_DIGEST)
  if (!done.ok) throw new Error('the empty blob did not hash as empty')
}
