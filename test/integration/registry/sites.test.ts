// The registry over the mesh (issue #23), with real daemons and the real skopeo:
// A, B and C each serve a registry (`--registry`); an image pushed to A pulls
// at B and C (which hold none of its bytes) — also with A stopped once they
// mirrored it; a push whose layers go to A and whose manifest goes to B works;
// a tag deleted at B is gone everywhere; a reader's push is refused; no
// credentials is 401.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'
import { basic, layoutDigest, makeImage, skopeo, skopeoOk, writeLayout, type Image } from './harness.js'

const TLS = ['--src-tls-verify=false', '--dest-tls-verify=false', '--preserve-digests']

describe('a container registry at every site', () => {
  let a: Node, b: Node, c: Node
  let work: string
  let home: string
  const creds = new Map<string, string>()
  const host = (n: Node): string => (n.ready as unknown as { registry: string }).registry.replace(/^http:\/\//, '')
  const login = async (n: Node, user: string, role: string): Promise<string> => {
    const out = await cli(['registry', 'login-token', user, '--role', role, '--dir', n.dir])
    expect(out.code).toBe(0)
    return out.stdout.trim()
  }
  const layout = async (name: string, image: Image, tag: string): Promise<string> => {
    const dir = join(work, name)
    await writeLayout(dir, [image.config, ...image.layers, image.manifest], image.manifest, tag)
    return dir
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mycel-oci-'))
    home = join(work, 'home')
    a = await Node.create(); b = await Node.create({ replicate: 'on-demand' }); c = await Node.create({ replicate: 'eager' })
    await a.start(['--registry', '127.0.0.1:0'])
    await b.start(['--registry', '127.0.0.1:0', '--join', await a.invite({ role: 'writer' })])
    await c.start(['--registry', '127.0.0.1:0', '--join', await a.invite({ role: 'reader' })])
    for (const n of [a, b, c]) {
      creds.set(`${n.dir}:writer`, await login(n, 'ci', 'writer'))
      creds.set(`${n.dir}:admin`, await login(n, 'ops', 'admin'))
      creds.set(`${n.dir}:reader`, await login(n, 'dev', 'reader'))
    }
  }, 90_000)

  afterAll(async () => {
    for (const n of [a, b, c]) await n.destroy()
  })

  it('an image pushed at A pulls at B (no bytes held) and at C, with identical digests; C still serves it with A stopped', async () => {
    const image = makeImage('amd64', [400_000, 3_000, 900_000])
    const src = await layout('src', image, 'v1')
    await skopeoOk(['copy', ...TLS, '--dest-creds', creds.get(`${a.dir}:writer`) as string, `oci:${src}:v1`, `docker://${host(a)}/team/app:v1`], home)
    for (const n of [b, c]) {
      await until(`the tag at ${n.dir}`, async () => (await n.keys()).some(e => e.key === 'oci/team/app/_tags/v1'))
      const out = join(work, `pulled-${n === b ? 'b' : 'c'}`)
      await skopeoOk(['copy', ...TLS, '--src-creds', creds.get(`${n.dir}:reader`) as string, `docker://${host(n)}/team/app:v1`, `oci:${out}:v1`], home)
      expect(await layoutDigest(out)).toBe(image.manifest.digest)
    }
    // C is eager: it mirrors every layer; then A goes away.
    await until('C holds every layer', async () => {
      for (const l of image.layers) if ((await c.api<{ local: string }>('GET', `/v1/blobs/${l.digest}`)).body.local !== 'complete') return false
      return true
    }, 60_000)
    await a.stop()
    try {
      const out = join(work, 'pulled-c-alone')
      await skopeoOk(['copy', ...TLS, '--src-creds', creds.get(`${c.dir}:reader`) as string, `docker://${host(c)}/team/app:v1`, `oci:${out}:v1`], home)
      expect(await layoutDigest(out)).toBe(image.manifest.digest)
    } finally {
      await a.start(['--registry', '127.0.0.1:0'])
      creds.set(`${a.dir}:writer`, await login(a, 'ci', 'writer'))
      creds.set(`${a.dir}:admin`, await login(a, 'ops', 'admin'))
    }
  }, 120_000)

  it('a push split across sites works: layers uploaded at A, the manifest put at B', async () => {
    const image = makeImage('arm64', [200_000, 7_000])
    const auth = { authorization: basic(creds.get(`${a.dir}:writer`) as string) }
    for (const blob of [image.config, ...image.layers]) {
      const res = await fetch(`http://${host(a)}/v2/split/app/blobs/uploads/?digest=${blob.digest}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: new Uint8Array(blob.bytes) })
      expect(res.status).toBe(201)
    }
    await until('B knows the layers', async () => (await b.keys()).filter(e => e.key.startsWith('oci/split/app/_blobs/')).length === 3)
    const put = await fetch(`http://${host(b)}/v2/split/app/manifests/v1`, { method: 'PUT', headers: { authorization: basic(creds.get(`${b.dir}:writer`) as string), 'content-type': image.manifest.mediaType }, body: new Uint8Array(image.manifest.bytes) })
    expect(put.status).toBe(201)
    await until('C has the tag', async () => (await c.keys()).some(e => e.key === 'oci/split/app/_tags/v1'))
    const out = join(work, 'split-at-c')
    await skopeoOk(['copy', ...TLS, '--src-creds', creds.get(`${c.dir}:reader`) as string, `docker://${host(c)}/split/app:v1`, `oci:${out}:v1`], home)
    expect(await layoutDigest(out)).toBe(image.manifest.digest)
  }, 120_000)

  it('a tag deleted at B is gone everywhere; a reader\'s push is refused (403); no credentials is 401', async () => {
    const image = makeImage('amd64', [50_000])
    const src = await layout('del', image, 'v1')
    await skopeoOk(['copy', ...TLS, '--dest-creds', creds.get(`${b.dir}:writer`) as string, `oci:${src}:v1`, `docker://${host(b)}/gone/app:v1`], home)
    await until('A has the tag', async () => (await a.keys()).some(e => e.key === 'oci/gone/app/_tags/v1'))
    await skopeoOk(['delete', '--tls-verify=false', '--creds', creds.get(`${b.dir}:admin`) as string, `docker://${host(b)}/gone/app:v1`], home)
    for (const n of [a, b, c]) await until(`the tag gone at ${n.dir}`, async () => !(await n.keys()).some(e => e.key === 'oci/gone/app/_tags/v1'))
    const refused = await skopeo(['copy', ...TLS, '--dest-creds', creds.get(`${a.dir}:reader`) as string, `oci:${src}:v1`, `docker://${host(a)}/gone/app:v2`], home)
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/denied|403/i)
    // C is a reader site: even its "writer" credential cannot push (the core refuses the write).
    const readerSite = await skopeo(['copy', ...TLS, '--dest-creds', creds.get(`${c.dir}:writer`) as string, `oci:${src}:v1`, `docker://${host(c)}/gone/app:v3`], home)
    expect(readerSite.code).not.toBe(0)
    const anonymous = await fetch(`http://${host(a)}/v2/`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toMatch(/Basic realm="mycel"/)
  }, 120_000)
})
