// `npm publish`: PUT /<name> with the package's new version(s), their
// tarballs base64-encoded in `_attachments`, and the dist-tags to set. The
// whole body is checked before anything is written (names, versions, the
// manifests' size, every tarball's length, gzip magic and hashes), so a bad
// publish stores nothing. Then, per version: the tarball into the blob store,
// the version key (durable and gossiped when the write resolves), the tags.
//
// A version is published once, ever (npm's rule): a publish of a version this
// site knows — published, or unpublished — is refused with npm's own message.
// Two sites publishing one version at once is a conflict the core resolves
// the same everywhere (the later stamp wins); the losing site reports it
// (`conflict` in watch and webhooks, docs/npm.md).

import type { RegistryBackend } from '../registry/backend.js'
import { MAX_VERSIONS_PER_PUBLISH } from './constants.js'
import { NpmError } from './errors.js'
import { tagKey, versionKey } from './keys.js'
import { encodeVersion, type Manifest } from './manifest-props.js'
import { checkTag, checkVersion, tarballFile } from './names.js'
import type { PackageState } from './package-state.js'
import { checkTarball, type CheckedTarball } from './tarball.js'

export interface PlannedVersion {
  version: string
  tarball: CheckedTarball
  props: Record<string, string>
}

export interface PublishPlan {
  name: string
  versions: PlannedVersion[]
  /** tag → version. */
  tags: Array<[string, string]>
}

export function planPublish (name: string, body: unknown, current: PackageState, nowIso: string, user: string | undefined): PublishPlan {
  const doc = asObject(body, 'the publish body')
  if (doc.name !== name) throw NpmError.badRequest(`the body publishes ${JSON.stringify(String(doc.name).slice(0, 240))}, not ${name}`)
  if (doc._id !== undefined && doc._id !== name) throw NpmError.badRequest(`the body's _id ${JSON.stringify(String(doc._id).slice(0, 240))} is not ${name}`)
  const versions = Object.entries(asObject(doc.versions, 'versions'))
  if (versions.length === 0) throw NpmError.badRequest('the publish has no version')
  if (versions.length > MAX_VERSIONS_PER_PUBLISH) throw NpmError.badRequest(`one publish carries at most ${MAX_VERSIONS_PER_PUBLISH} versions`)
  const attachments = asObject(doc._attachments ?? {}, '_attachments')
  const planned: PlannedVersion[] = []
  for (const [version, value] of versions) {
    checkVersion(version)
    const label = `${name}@${version}`
    const manifest = asObject(value, `versions["${version}"]`) as Manifest
    if (manifest.name !== name || manifest.version !== version) throw NpmError.badRequest(`${label}: the manifest names ${String(manifest.name)}@${String(manifest.version)}`)
    if (current.versions.has(version)) throw NpmError.forbidden(`You cannot publish over the previously published versions: ${version}.`)
    if (current.unpublished.has(version)) throw NpmError.forbidden(`Cannot publish ${label}: it was unpublished on ${current.unpublished.get(version) ?? '?'}, and a version is never reused.`)
    const dist = manifest.dist === undefined ? {} : asObject(manifest.dist, `${label} dist`)
    const tarball = checkTarball(label, attachmentFor(attachments, name, version, versions.length), dist)
    // Who published it, as npm's registry records it (the token's user; the client's claim is not kept).
    const recorded: Manifest = { ...manifest, _npmUser: { name: user ?? 'anonymous', email: '' } }
    planned.push({ version, tarball, props: encodeVersion(recorded, { integrity: tarball.integrity, shasum: tarball.shasum, published: nowIso }, dist) })
  }
  const tags: Array<[string, string]> = []
  for (const [tag, v] of Object.entries(asObject(doc['dist-tags'] ?? {}, 'dist-tags'))) {
    checkTag(tag)
    if (typeof v !== 'string' || (!current.versions.has(v) && !planned.some(p => p.version === v))) throw NpmError.badRequest(`dist-tag ${tag} names ${JSON.stringify(v)}, which is not a version of ${name}`)
    tags.push([tag, v])
  }
  return { name, versions: planned, tags }
}

export async function applyPublish (backend: RegistryBackend, plan: PublishPlan, current: PackageState): Promise<void> {
  const digests = new Map<string, { digest: string, size: number }>()
  for (const v of current.versions.values()) digests.set(v.version, { digest: v.digest, size: v.size })
  for (const v of plan.versions) {
    const writer = await backend.beginBlob({ maxBytes: v.tarball.bytes.byteLength })
    try {
      await writer.write(v.tarball.bytes)
    } catch (err) {
      await writer.abort()
      throw err
    }
    const done = await writer.commit(v.tarball.digest)
    if (!done.ok) throw new Error(`the tarball of ${plan.name}@${v.version} hashed differently on its way to disk`)
    const value = { digest: v.tarball.digest, size: v.tarball.bytes.byteLength }
    await backend.putKey(versionKey(plan.name, v.version), { ...value, props: v.props })
    digests.set(v.version, value)
  }
  for (const [tag, version] of plan.tags) {
    const target = digests.get(version)
    if (target !== undefined) await backend.putKey(tagKey(plan.name, tag), { ...target, props: { version } })
  }
}

function attachmentFor (attachments: Record<string, unknown>, name: string, version: string, versions: number): unknown {
  // npm names it `<name>-<version>.tgz` with the scope; other clients use the tarball's file name.
  const found = attachments[`${name}-${version}.tgz`] ?? attachments[tarballFile(name, version)]
  if (found !== undefined) return found
  const all = Object.values(attachments)
  return versions === 1 && all.length === 1 ? all[0] : undefined
}

export function asObject (value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw NpmError.badRequest(`${what} is not a JSON object`)
  return value as Record<string, unknown>
}
