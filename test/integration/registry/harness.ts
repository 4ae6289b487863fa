// Shared parts of the registry's integration tests: a registry server on
// 127.0.0.1 over the in-process backend (one site, or several sharing
// metadata), OCI image layouts written by hand (layers, configs, manifests, a
// multi-arch index), and skopeo run as a child process.

import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { MemoryFederation, type MemoryBackend, type MemoryUser } from '../../../daemon/registry/memory-backend.js'
import { createRegistryServer, type RegistryServer, type RegistryServerInit } from '../../../daemon/registry/server.js'
import { ensureTool } from '../../helpers/ensure-tool.js'

export const USERS: MemoryUser[] = [
  { user: 'alice', secret: 'admin-secret', role: 'admin' },
  { user: 'bob', secret: 'writer-secret', role: 'writer' },
  { user: 'carol', secret: 'reader-secret', role: 'reader' }
]
export const ADMIN = 'alice:admin-secret'
export const WRITER = 'bob:writer-secret'
export const READER = 'carol:reader-secret'

export function basic (creds: string): string {
  return 'Basic ' + Buffer.from(creds).toString('base64')
}

export interface Site { name: string, backend: MemoryBackend, server: RegistryServer, url: string, host: string }

export class Harness {
  readonly dir: string
  readonly federation: MemoryFederation
  readonly sites: Site[] = []
  readonly logs: string[] = []

  private constructor (dir: string) {
    this.dir = dir
    this.federation = new MemoryFederation({ dir: join(dir, 'sites'), users: USERS })
  }

  static async create (): Promise<Harness> {
    return new Harness(await mkdtemp(join(tmpdir(), 'mycel-registry-')))
  }

  /** A registry at a new site of the federation, listening on 127.0.0.1. */
  async site (name: string, init: Partial<RegistryServerInit> = {}): Promise<Site> {
    const backend = await this.federation.site(name)
    const server = createRegistryServer({ backend, log: (level, msg, fields) => { this.logs.push(`${name} ${level} ${msg} ${JSON.stringify(fields ?? {})}`) }, gc: false, ...init })
    await server.start({ host: '127.0.0.1', port: 0 })
    const site = { name, backend, server, url: server.url, host: server.url.replace('http://', '') }
    this.sites.push(site)
    return site
  }

  async close (): Promise<void> {
    for (const s of this.sites) await s.server.stop()
    await rm(this.dir, { recursive: true, force: true })
  }
}

export function sha256 (bytes: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex')
}

export interface Blob { digest: string, size: number, bytes: Buffer, mediaType: string }

export function blobOf (bytes: Buffer, mediaType: string): Blob {
  return { digest: sha256(bytes), size: bytes.byteLength, bytes, mediaType }
}

export function descriptor (b: Blob): { mediaType: string, digest: string, size: number } {
  return { mediaType: b.mediaType, digest: b.digest, size: b.size }
}

export interface Image { config: Blob, layers: Blob[], manifest: Blob }

/** An OCI image of gzipped random layers for one platform (gzipped, so skopeo copies them as they are instead of compressing them). */
export function makeImage (arch: string, layerSizes: number[]): Image {
  const layers = layerSizes.map(n => blobOf(gzipSync(randomBytes(n), { level: 1 }), 'application/vnd.oci.image.layer.v1.tar+gzip'))
  const config = blobOf(Buffer.from(JSON.stringify({
    architecture: arch,
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: layers.map(l => l.digest) }
  })), 'application/vnd.oci.image.config.v1+json')
  const manifest = blobOf(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: descriptor(config),
    layers: layers.map(descriptor)
  })), 'application/vnd.oci.image.manifest.v1+json')
  return { config, layers, manifest }
}

export function makeIndex (images: Array<{ image: Image, arch: string }>): Blob {
  return blobOf(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: images.map(({ image, arch }) => ({ ...descriptor(image.manifest), platform: { architecture: arch, os: 'linux' } }))
  })), 'application/vnd.oci.image.index.v1+json')
}

/** Writes an OCI image layout holding `blobs`, with `top` tagged `tag`. */
export async function writeLayout (dir: string, blobs: Blob[], top: Blob, tag: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true })
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  for (const b of blobs) await writeFile(join(dir, 'blobs', 'sha256', b.digest.slice(7)), b.bytes)
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ ...descriptor(top), annotations: { 'org.opencontainers.image.ref.name': tag } }]
  }))
}

/** The digest an OCI layout's index.json gives its (only) image. */
export async function layoutDigest (dir: string): Promise<string> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> }
  return index.manifests[0].digest
}

export interface Run { code: number, stdout: string, stderr: string }

/** Runs skopeo (installed from Debian when missing), isolated from the machine's auth and policy files. */
export async function skopeo (args: string[], home: string): Promise<Run> {
  const bin = ensureTool('skopeo', 'skopeo')
  await mkdir(home, { recursive: true })
  return await new Promise(resolve => {
    execFile(bin, ['--insecure-policy', ...args], {
      env: { ...process.env, HOME: home, REGISTRY_AUTH_FILE: join(home, 'auth.json'), XDG_RUNTIME_DIR: home },
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024
    }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1
      resolve({ code, stdout, stderr })
    })
  })
}

/** skopeo that must succeed. */
export async function skopeoOk (args: string[], home: string): Promise<string> {
  const r = await skopeo(args, home)
  if (r.code !== 0) throw new Error(`skopeo ${args.join(' ')} exited ${r.code}:\n${r.stderr}`)
  return r.stdout
}
