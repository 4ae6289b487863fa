import { describe, expect, it } from 'vitest'
import { parseManifest, requiredBlobs, sha256Digest } from '../../../daemon/registry/manifest.js'
import { recordFromProps, recordOf, recordToProps } from '../../../daemon/registry/manifest-record.js'
import { isRegistryError, type RegistryError } from '../../../daemon/registry/errors.js'
import { DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST } from '../../../daemon/registry/media-types.js'
import { MAX_MANIFEST_REFS } from '../../../daemon/registry/constants.js'
import { MemoryKeys } from '../../../daemon/registry/memory-keys.js'

const d = (c: string, mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip', size = 10): { mediaType: string, digest: string, size: number } => ({ mediaType, digest: 'sha256:' + c.repeat(64), size })
const config = d('c', 'application/vnd.oci.image.config.v1+json')

function bytes (value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value))
}

function refused (body: Uint8Array, type?: string, digest?: string): RegistryError {
  try {
    parseManifest(body, type, digest)
  } catch (err) {
    if (isRegistryError(err)) return err
    throw err
  }
  throw new Error('accepted')
}

describe('parseManifest', () => {
  it('reads an OCI image manifest: blobs, artifactType from the config, digest of the exact bytes', () => {
    const body = bytes({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [d('1'), d('2')], annotations: { a: 'b' } })
    const m = parseManifest(body, OCI_MANIFEST)
    expect(m.kind).toBe('image')
    expect(m.digest).toBe(sha256Digest(body))
    expect(m.blobs.map(b => b.digest)).toEqual([config.digest, d('1').digest, d('2').digest])
    expect(m.artifactType).toBe(config.mediaType)
    expect(m.annotations).toEqual({ a: 'b' })
  })

  it('reads Docker v2 manifests and lists, and OCI indexes; the Content-Type stands in for a missing mediaType', () => {
    expect(parseManifest(bytes({ schemaVersion: 2, mediaType: DOCKER_MANIFEST, config, layers: [] }), DOCKER_MANIFEST).kind).toBe('image')
    const list = parseManifest(bytes({ schemaVersion: 2, mediaType: DOCKER_LIST, manifests: [d('1', DOCKER_MANIFEST)] }), DOCKER_LIST)
    expect(list.kind).toBe('index')
    expect(list.manifests).toHaveLength(1)
    const index = parseManifest(bytes({ schemaVersion: 2, manifests: [d('1', OCI_MANIFEST)], artifactType: 'application/x.sig' }), `${OCI_INDEX}; charset=utf-8`)
    expect(index.mediaType).toBe(OCI_INDEX)
    expect(index.artifactType).toBe('application/x.sig')
  })

  it('keeps subject, and requires no foreign layer to exist', () => {
    const foreign = { ...d('f', 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip'), urls: ['https://example.invalid/l'] }
    const m = parseManifest(bytes({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [foreign, d('1')], subject: d('9', OCI_MANIFEST) }), undefined)
    expect(m.subject?.digest).toBe(d('9').digest)
    expect(requiredBlobs(m).map(b => b.digest)).toEqual([config.digest, d('1').digest])
  })

  it('refuses malformed JSON, unknown media types, schema 1, bad descriptors, a mismatched Content-Type', () => {
    expect(refused(Buffer.from('{')).code).toBe('MANIFEST_INVALID')
    expect(refused(Buffer.from('"x"'), OCI_MANIFEST).message).toMatch(/not a JSON object/)
    expect(refused(bytes({ schemaVersion: 2, config, layers: [] }), 'application/json').message).toMatch(/unsupported media type/)
    expect(refused(bytes({ schemaVersion: 1, mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' })).message).toMatch(/unsupported media type/)
    expect(refused(bytes({ schemaVersion: 1, mediaType: OCI_MANIFEST, config, layers: [] })).message).toMatch(/schemaVersion/)
    expect(refused(bytes({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { ...config, size: -1 }, layers: [] })).message).toMatch(/config.size/)
    expect(refused(bytes({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { ...config, digest: 'nope' }, layers: [] })).message).toMatch(/config.digest/)
    expect(refused(bytes({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: {} })).message).toMatch(/layers must be an array/)
    expect(refused(bytes({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [], annotations: { a: 1 } })).message).toMatch(/annotations/)
    expect(refused(bytes({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [] }), DOCKER_MANIFEST).message).toMatch(/does not match/)
    expect(refused(bytes({ schemaVersion: 2, mediaType: OCI_INDEX })).message).toMatch(/manifests must be an array/)
  })

  it('refuses a body whose digest is not the reference, too many descriptors, and more than 4 MiB', () => {
    const body = bytes({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [] })
    const wrong = refused(body, OCI_MANIFEST, 'sha256:' + '0'.repeat(64))
    expect(wrong.code).toBe('DIGEST_INVALID')
    const many = Array.from({ length: MAX_MANIFEST_REFS }, (_, i) => ({ ...d('1'), digest: 'sha256:' + i.toString(16).padStart(64, '0') }))
    expect(refused(bytes({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: many })).message).toMatch(/descriptors/)
    const huge = refused(new Uint8Array(4 * 1024 * 1024 + 1))
    expect(huge.status).toBe(413)
  })
})

describe('manifest record', () => {
  it('round-trips through props, and the largest manifest still fits one mycel event', () => {
    const layers = Array.from({ length: MAX_MANIFEST_REFS - 1 }, (_, i) => ({ ...d('1'), digest: 'sha256:' + i.toString(16).padStart(64, '0') }))
    const annotations = { note: 'x'.repeat(900) }
    const m = parseManifest(bytes({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/' + 'y'.repeat(240), config, layers, subject: d('9', OCI_MANIFEST), annotations }), undefined)
    const record = recordOf(m)
    const props = recordToProps(record)
    expect(recordFromProps(props)).toEqual(record)
    expect(record.blobs).toHaveLength(MAX_MANIFEST_REFS)
    // The in-process key store applies mycel's limits (props, event size): the worst case is taken.
    const keys = new MemoryKeys()
    keys.put('oci/' + 'r'.repeat(255) + '/_manifests/' + m.digest, { digest: m.digest, size: m.size, props })
  })

  it('keeps large annotations out of the props, marked to be read from the body', () => {
    const m = parseManifest(bytes({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [], annotations: { big: 'z'.repeat(2000) } }), undefined)
    const record = recordOf(m)
    expect(record.annotations).toBeUndefined()
    expect(record.annotationsInBody).toBe(true)
  })
})
