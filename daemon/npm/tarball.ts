// A tarball as npm's publish body carries it (base64 in `_attachments`),
// decoded and checked: the length npm declared, the gzip magic, and the
// hashes npm computed (dist.shasum, sha-1, and dist.integrity, sha-512) against
// the bytes that arrived. Whatever fails is refused before anything is stored.

import { createHash } from 'node:crypto'
import { NpmError } from './errors.js'

export interface CheckedTarball {
  bytes: Buffer
  /** `sha256:<hex>`: the blob's name in mycel. */
  digest: string
  shasum: string
  integrity: string
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

export function checkTarball (label: string, attachment: unknown, dist: Record<string, unknown>): CheckedTarball {
  if (typeof attachment !== 'object' || attachment === null) throw NpmError.badRequest(`${label}: the publish has no tarball attachment for it`)
  const { data, length } = attachment as { data?: unknown, length?: unknown }
  if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) throw NpmError.badRequest(`${label}: the attachment's data is not base64`)
  const bytes = Buffer.from(data, 'base64')
  if (length !== undefined && length !== bytes.byteLength) throw NpmError.badRequest(`${label}: the attachment says ${String(length)} bytes but holds ${bytes.byteLength}`)
  if (bytes.byteLength < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw NpmError.badRequest(`${label}: the attachment is not a gzipped tarball`)
  const shasum = createHash('sha1').update(bytes).digest('hex')
  const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`
  if (dist.shasum !== undefined && dist.shasum !== shasum) {
    throw NpmError.badRequest(`${label}: shasum mismatch: the manifest says ${String(dist.shasum).slice(0, 80)}, the tarball is ${shasum}`)
  }
  if (dist.integrity !== undefined) {
    const claimed = typeof dist.integrity === 'string' ? dist.integrity.split(/\s+/).filter(s => s.startsWith('sha512-')) : []
    if (typeof dist.integrity !== 'string' || (claimed.length > 0 && !claimed.includes(integrity))) {
      throw NpmError.badRequest(`${label}: integrity mismatch: the manifest says ${String(dist.integrity).slice(0, 120)}, the tarball is ${integrity}`)
    }
  }
  return { bytes, digest: 'sha256:' + createHash('sha256').update(bytes).digest('hex'), shasum, integrity }
}
