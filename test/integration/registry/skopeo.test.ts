// The registry driven by the real skopeo (Debian's): push an OCI layout made
// here (an image of a few layers, and a multi-arch index), inspect it, copy it
// back to oci: and dir: with identical digests, list tags across pages, delete
// a tag; pull at a second site that holds none of the bytes; credentials and
// roles as clients see them.

import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ADMIN, Harness, layoutDigest, makeImage, makeIndex, READER, skopeo, skopeoOk, WRITER, writeLayout, type Image } from './harness.js'

// --preserve-digests: skopeo must push and pull the manifests as they are, or fail.
const TLS = ['--src-tls-verify=false', '--dest-tls-verify=false', '--preserve-digests']

describe('registry with skopeo', () => {
  let h: Harness
  let home: string
  beforeEach(async () => {
    h = await Harness.create()
    home = join(h.dir, 'home')
  })
  afterEach(async () => { await h.close() })

  async function imageLayout (name: string, image: Image, tag: string): Promise<string> {
    const dir = join(h.dir, name)
    await writeLayout(dir, [image.config, ...image.layers, image.manifest], image.manifest, tag)
    return dir
  }

  it('pushes an image, inspects it, copies it back byte-identical, lists and deletes tags', async () => {
    const a = await h.site('a')
    const image = makeImage('amd64', [300_000, 5_000, 1_200_000])
    const src = await imageLayout('src', image, 'v1')
    await skopeoOk(['copy', ...TLS, '--dest-creds', WRITER, `oci:${src}:v1`, `docker://${a.host}/team/app:v1`], home)
    await skopeoOk(['copy', ...TLS, '--src-creds', READER, '--dest-creds', WRITER, `docker://${a.host}/team/app:v1`, `docker://${a.host}/team/app:v2`], home)

    const inspect = JSON.parse(await skopeoOk(['inspect', '--tls-verify=false', '--creds', READER, `docker://${a.host}/team/app:v1`], home)) as { Digest: string, Layers: string[], Architecture: string }
    expect(inspect.Digest).toBe(image.manifest.digest)
    expect(inspect.Layers).toEqual(image.layers.map(l => l.digest))
    expect(inspect.Architecture).toBe('amd64')
    const raw = await skopeoOk(['inspect', '--raw', '--tls-verify=false', '--creds', READER, `docker://${a.host}/team/app:v1`], home)
    expect(raw).toBe(image.manifest.bytes.toString())

    const out = join(h.dir, 'out-oci')
    await skopeoOk(['copy', ...TLS, '--src-creds', READER, `docker://${a.host}/team/app:v1`, `oci:${out}:v1`], home)
    expect(await layoutDigest(out)).toBe(image.manifest.digest)
    for (const l of image.layers) expect(await readFile(join(out, 'blobs', 'sha256', l.digest.slice(7)))).toEqual(l.bytes)
    const dir = join(h.dir, 'out-dir')
    await skopeoOk(['copy', ...TLS, '--src-creds', READER, `docker://${a.host}/team/app:v1`, `dir:${dir}`], home)
    expect('sha256:' + createHash('sha256').update(await readFile(join(dir, 'manifest.json'))).digest('hex')).toBe(image.manifest.digest)

    expect(JSON.parse(await skopeoOk(['list-tags', '--tls-verify=false', '--creds', READER, `docker://${a.host}/team/app`], home)).Tags).toEqual(['v1', 'v2'])
    // skopeo delete resolves the tag and deletes the manifest by digest: every tag naming it goes.
    expect((await skopeo(['delete', '--tls-verify=false', '--creds', WRITER, `docker://${a.host}/team/app:v2`], home)).code).not.toBe(0)
    await skopeoOk(['delete', '--tls-verify=false', '--creds', ADMIN, `docker://${a.host}/team/app:v2`], home)
    expect(JSON.parse(await skopeoOk(['list-tags', '--tls-verify=false', '--creds', READER, `docker://${a.host}/team/app`], home)).Tags).toEqual([])
    const gone = await skopeo(['inspect', '--tls-verify=false', '--creds', READER, `docker://${a.host}/team/app:v1`], home)
    expect(gone.code).not.toBe(0)
    expect(gone.stderr).toMatch(/manifest unknown/i)
  })

  it('pushes a multi-arch index with --all and copies it back with the same digests', async () => {
    const a = await h.site('a')
    const amd = makeImage('amd64', [200_000, 3_000])
    const arm = makeImage('arm64', [150_000, 4_000])
    const index = makeIndex([{ image: amd, arch: 'amd64' }, { image: arm, arch: 'arm64' }])
    const src = join(h.dir, 'multi')
    const blobs = [amd, arm].flatMap(i => [i.config, ...i.layers, i.manifest])
    await writeLayout(src, [...blobs, index], index, 'multi')
    await skopeoOk(['copy', '--all', ...TLS, '--dest-creds', WRITER, `oci:${src}:multi`, `docker://${a.host}/lib/multi:1.0`], home)

    const raw = JSON.parse(await skopeoOk(['inspect', '--raw', '--tls-verify=false', '--creds', READER, `docker://${a.host}/lib/multi:1.0`], home)) as { manifests: Array<{ digest: string }> }
    expect(raw.manifests.map(m => m.digest)).toEqual([amd.manifest.digest, arm.manifest.digest])
    const armInspect = JSON.parse(await skopeoOk(['inspect', '--override-arch', 'arm64', '--tls-verify=false', '--creds', READER, `docker://${a.host}/lib/multi:1.0`], home)) as { Digest: string, Layers: string[] }
    expect(armInspect.Layers).toEqual(arm.layers.map(l => l.digest))

    const out = join(h.dir, 'multi-out')
    await skopeoOk(['copy', '--all', ...TLS, '--src-creds', READER, `docker://${a.host}/lib/multi:1.0`, `oci:${out}:multi`], home)
    expect(await layoutDigest(out)).toBe(index.digest)
    for (const b of blobs) expect(await readFile(join(out, 'blobs', 'sha256', b.digest.slice(7)))).toEqual(b.bytes)
  })

  it('pulls at a second site that holds none of the bytes, then at a third with the first stopped; a delete at one is gone everywhere', async () => {
    const a = await h.site('a')
    const b = await h.site('b')
    const image = makeImage('amd64', [400_000, 2_000])
    const src = await imageLayout('src', image, 'v1')
    await skopeoOk(['copy', ...TLS, '--dest-creds', WRITER, `oci:${src}:v1`, `docker://${a.host}/app:v1`], home)
    expect(await b.backend.holds(image.layers[0].digest)).toBe(false)

    const out = join(h.dir, 'from-b')
    await skopeoOk(['copy', ...TLS, '--src-creds', READER, `docker://${b.host}/app:v1`, `oci:${out}:v1`], home)
    expect(await layoutDigest(out)).toBe(image.manifest.digest)
    expect(b.backend.fetched).toEqual(expect.arrayContaining([image.manifest.digest, image.config.digest, ...image.layers.map(l => l.digest)]))

    // A stops: its server goes, and its disk stops being a holder.
    await a.server.stop()
    h.federation.sites.delete('a')
    const c = await h.site('c')
    const out2 = join(h.dir, 'from-c')
    await skopeoOk(['copy', ...TLS, '--src-creds', READER, `docker://${c.host}/app:v1`, `oci:${out2}:v1`], home)
    expect(await layoutDigest(out2)).toBe(image.manifest.digest)

    await skopeoOk(['delete', '--tls-verify=false', '--creds', ADMIN, `docker://${c.host}/app:v1`], home)
    expect(JSON.parse(await skopeoOk(['list-tags', '--tls-verify=false', '--creds', READER, `docker://${b.host}/app`], home)).Tags).toEqual([])
    expect((await skopeo(['inspect', '--tls-verify=false', '--creds', READER, `docker://${b.host}/app:v1`], home)).code).not.toBe(0)
  })

  it('lists tags across pages by following Link', async () => {
    const a = await h.site('a', { limits: { pageSize: 2 } })
    const image = makeImage('amd64', [1000])
    const src = await imageLayout('src', image, 'v1')
    await skopeoOk(['copy', ...TLS, '--dest-creds', WRITER, `oci:${src}:v1`, `docker://${a.host}/paged:t0`], home)
    for (const t of ['t1', 't2', 't3', 't4']) {
      await skopeoOk(['copy', ...TLS, '--src-creds', READER, '--dest-creds', WRITER, `docker://${a.host}/paged:t0`, `docker://${a.host}/paged:${t}`], home)
    }
    expect(JSON.parse(await skopeoOk(['list-tags', '--tls-verify=false', '--creds', READER, `docker://${a.host}/paged`], home)).Tags).toEqual(['t0', 't1', 't2', 't3', 't4'])
  })

  it('refuses a push without credentials (401) and a reader\'s push (403), storing nothing', async () => {
    const a = await h.site('a')
    const image = makeImage('amd64', [1000])
    const src = await imageLayout('src', image, 'v1')
    const anon = await skopeo(['copy', ...TLS, `oci:${src}:v1`, `docker://${a.host}/app:v1`], home)
    expect(anon.code).not.toBe(0)
    expect(anon.stderr).toMatch(/authentication required|unauthorized/i)
    const reader = await skopeo(['copy', ...TLS, '--dest-creds', READER, `oci:${src}:v1`, `docker://${a.host}/app:v1`], home)
    expect(reader.code).not.toBe(0)
    expect(reader.stderr).toMatch(/denied/i)
    const wrong = await skopeo(['inspect', '--tls-verify=false', '--creds', 'carol:wrong', `docker://${a.host}/app:v1`], home)
    expect(wrong.code).not.toBe(0)
    expect(a.backend.listKeys('oci/', { limit: 10 })).toEqual([])
  })
})
