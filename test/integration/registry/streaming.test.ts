// A pull at a site that does not hold the bytes yet streams them as the fetch verifies them (#23): A is
// capped at 4 MB/s of blob upload, so B's fetch of a 24 MiB layer from A takes ~6 s, yet B's registry
// answers the layer's GET with its first bytes within 1 s of the tag being visible there, and the whole
// body it sends is the layer (its digest checked). A range is served the same way.
import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'
import { basic, blobOf, descriptor, sha256 } from './harness.js'

const MiB = 1024 * 1024
const LAYER_BYTES = 24 * MiB

describe('registry pulls stream while the site fetches', () => {
  let a: Node, b: Node
  const host = (n: Node): string => (n.ready as unknown as { registry: string }).registry.replace(/^http:\/\//, '')
  const login = async (n: Node, user: string, role: string): Promise<string> => {
    const out = await cli(['registry', 'login-token', user, '--role', role, '--dir', n.dir])
    expect(out.code).toBe(0)
    return out.stdout.trim()
  }

  beforeAll(async () => {
    a = await Node.create({ maxUploadBytesPerSec: 4_000_000 })
    b = await Node.create({ replicate: 'on-demand' })
    await a.start(['--registry', '127.0.0.1:0'])
    await b.start(['--registry', '127.0.0.1:0', '--join', await a.invite({ role: 'writer' })])
  }, 60_000)
  afterAll(async () => { await Promise.all([a.destroy(), b.destroy()]) })

  it('the first bytes of a 24 MiB layer within 1 s of the tag at B, all of it verified, while B fetches it at 4 MB/s', async () => {
    const layer = blobOf(randomBytes(LAYER_BYTES), 'application/vnd.oci.image.layer.v1.tar')
    const config = blobOf(Buffer.from('{"architecture":"amd64","os":"linux"}'), 'application/vnd.oci.image.config.v1+json')
    const manifest = blobOf(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: descriptor(config), layers: [descriptor(layer)] })), 'application/vnd.oci.image.manifest.v1+json')
    const push = { authorization: basic(await login(a, 'ci', 'writer')) }
    for (const blob of [config, layer]) {
      const res = await fetch(`http://${host(a)}/v2/big/app/blobs/uploads/?digest=${blob.digest}`, { method: 'POST', headers: { ...push, 'content-type': 'application/octet-stream' }, body: new Uint8Array(blob.bytes) })
      expect(res.status).toBe(201)
    }
    expect((await fetch(`http://${host(a)}/v2/big/app/manifests/v1`, { method: 'PUT', headers: { ...push, 'content-type': manifest.mediaType }, body: new Uint8Array(manifest.bytes) })).status).toBe(201)
    const pull = { authorization: basic(await login(b, 'dev', 'reader')) }
    await until('the tag is visible at B', async () => (await fetch(`http://${host(b)}/v2/big/app/manifests/v1`, { method: 'HEAD', headers: pull })).status === 200, 30_000, 50)
    const asked = performance.now()
    const res = await fetch(`http://${host(b)}/v2/big/app/blobs/${layer.digest}`, { headers: pull })
    expect(res.status).toBe(200)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const hash = createHash('sha256')
    let firstMs: number | undefined
    let total = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      firstMs ??= performance.now() - asked
      hash.update(value)
      total += value.length
    }
    const allMs = performance.now() - asked
    console.log(`pull at B of a ${LAYER_BYTES / MiB} MiB layer it did not hold: first byte after ${firstMs?.toFixed(0)} ms, all after ${allMs.toFixed(0)} ms`)
    expect(total).toBe(LAYER_BYTES)
    expect(`sha256:${hash.digest('hex')}`).toBe(layer.digest)
    expect(firstMs).toBeLessThan(1_000)
    // The whole layer took far longer than the first byte: it really streamed, it did not wait for the fetch.
    expect(allMs).toBeGreaterThan(3 * (firstMs as number))
    expect(sha256(layer.bytes)).toBe(layer.digest)
  }, 120_000)
})
