// The spec's grammars for what arrives in a URL: repository names, tags and
// digests. Checked on the raw (still percent-encoded) path, so `%2f`, `..`,
// doubled slashes and uppercase never reach a key: none of them matches.
// Digests: mycel names blobs by sha-256 alone, so that is the one algorithm
// taken; any other is refused as the spec asks (400 DIGEST_INVALID).

import { MAX_NAME_CHARS, MAX_TAG_CHARS } from './constants.js'
import { RegistryError } from './errors.js'

/** `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`, anchored. */
const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/

/** `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`, anchored. */
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/

const SHA256 = /^sha256:[a-f0-9]{64}$/

/** The image-spec's digest grammar, to tell "malformed" from "an algorithm we do not take". */
const ANY_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/

export function isRepoName (name: string): boolean {
  return name.length <= MAX_NAME_CHARS && NAME.test(name)
}

/** Throws NAME_INVALID saying what is wrong. */
export function checkRepoName (name: string): string {
  if (name.length > MAX_NAME_CHARS) throw RegistryError.nameInvalid(name, `longer than ${MAX_NAME_CHARS} characters`)
  if (name.includes('%')) throw RegistryError.nameInvalid(name, 'percent-encoded characters are not allowed')
  if (name.split('/').some(part => part === '..' || part === '.')) throw RegistryError.nameInvalid(name, 'path segments . and .. are not allowed')
  if (/[A-Z]/.test(name)) throw RegistryError.nameInvalid(name, 'uppercase letters are not allowed')
  if (!NAME.test(name)) throw RegistryError.nameInvalid(name, 'must match [a-z0-9]+((.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((.|_|__|-+)[a-z0-9]+)*)*')
  return name
}

export function isTag (ref: string): boolean {
  return ref.length <= MAX_TAG_CHARS && TAG.test(ref)
}

export function isDigest (ref: string): boolean {
  return SHA256.test(ref)
}

/** A digest we can serve, or DIGEST_INVALID (400) saying whether it is malformed or of another algorithm. */
export function checkDigest (text: string): string {
  if (SHA256.test(text)) return text
  if (ANY_DIGEST.test(text)) {
    const algorithm = text.slice(0, text.indexOf(':'))
    if (algorithm !== 'sha256') throw RegistryError.digestInvalid(`unsupported digest algorithm ${algorithm.slice(0, 32)}: this registry takes sha256 only`)
  }
  throw RegistryError.digestInvalid(`malformed digest ${JSON.stringify(text.slice(0, 100))}: expected sha256:<64 lowercase hex>`)
}

export type Reference = { kind: 'tag', tag: string } | { kind: 'digest', digest: string }

/** A manifest reference: a digest if it has a colon, else a tag; either must be well formed. */
export function parseReference (ref: string): Reference {
  if (ref.includes(':')) return { kind: 'digest', digest: checkDigest(ref) }
  if (!isTag(ref)) throw RegistryError.manifestInvalid(`invalid tag ${JSON.stringify(ref.slice(0, 140))}: must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`)
  return { kind: 'tag', tag: ref }
}
