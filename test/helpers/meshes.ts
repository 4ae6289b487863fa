// Shared helpers for the network tests: temp dirs, a trivial codec, meshes whose handler calls are
// recorded and can be awaited (no sleeps), and a deadline-bounded poll for conditions without events.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MycelError } from '../../protocol/errors.js'
import type { SyncMessage } from '../../protocol/messages.js'
import { Logger } from '../../daemon/log.js'
import { createHost, type Host } from '../../daemon/net/host.js'
import { loadOrCreateIdentity } from '../../daemon/net/identity.js'
import { createMesh, type Mesh, type MeshInit, type MessageCodec } from '../../daemon/net/mesh.js'

/** Test codec: a digest message is 0x01 followed by its digest bytes; anything else fails to decode. */
export const testCodec: MessageCodec = {
  encode (message: SyncMessage): Uint8Array {
    if (message.type !== 'digest') throw new Error('test codec only carries digest messages')
    const out = new Uint8Array(message.digest.byteLength + 1)
    out[0] = 0x01
    out.set(message.digest, 1)
    return out
  },
  decode (bytes: Uint8Array): SyncMessage {
    if (bytes[0] !== 0x01) throw MycelError.decode('test codec: bad tag')
    return { type: 'digest', digest: bytes.slice(1) }
  }
}

export function digest (text: string): SyncMessage {
  return { type: 'digest', digest: new TextEncoder().encode(text) }
}

export function text (message: SyncMessage): string {
  if (message.type !== 'digest') throw new Error(`expected a digest message, got ${message.type}`)
  return new TextDecoder().decode(message.digest)
}

export type Recorded =
  | { kind: 'up', peer: string }
  | { kind: 'down', peer: string }
  | { kind: 'message', peer: string, message: SyncMessage }

/** Records handler calls; waitFor resolves on the first matching record, past or future. */
export class Recorder {
  readonly events: Recorded[] = []
  private readonly waiters: Array<{ match: (e: Recorded) => boolean, resolve: (e: Recorded) => void }> = []

  push (event: Recorded): void {
    this.events.push(event)
    for (const waiter of [...this.waiters]) {
      if (waiter.match(event)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        waiter.resolve(event)
      }
    }
  }

  count (match: (e: Recorded) => boolean): number {
    return this.events.filter(match).length
  }

  /** The n-th (1-based) record matching, waiting up to timeoutMs for it. */
  async waitFor (match: (e: Recorded) => boolean, timeoutMs = 10_000, nth = 1): Promise<Recorded> {
    const seen = this.events.filter(match)
    if (seen.length >= nth) return seen[nth - 1] as Recorded
    let remaining = nth - seen.length
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a recorded event`))
      }, timeoutMs)
      const waiter = {
        match: (e: Recorded) => match(e) && --remaining === 0,
        resolve: (e: Recorded) => { clearTimeout(timer); resolve(e) }
      }
      this.waiters.push(waiter)
    })
  }
}

export const isUp = (peer: string) => (e: Recorded) => e.kind === 'up' && e.peer === peer
export const isDown = (peer: string) => (e: Recorded) => e.kind === 'down' && e.peer === peer
export const isMessage = (peer: string, body?: string) => (e: Recorded) =>
  e.kind === 'message' && e.peer === peer && (body === undefined || text(e.message) === body)

export interface TestMesh {
  mesh: Mesh
  /** The mesh's libp2p node (the mesh starts and stops it). */
  host: Host
  rec: Recorder
  dir: string
}

export interface StartOptions extends Partial<MeshInit> {
  /** Make receive() return this promise (a slow consumer). */
  receive?: (from: string, message: SyncMessage) => void | Promise<void>
  isAllowed?: (peer: string) => boolean
}

/** Temp dirs made by this test file; removed by cleanup(). */
export class Scratch {
  private readonly dirs: string[] = []
  private readonly meshes: Mesh[] = []

  async dir (): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'mycel-net-'))
    this.dirs.push(dir)
    return dir
  }

  async mesh (options: StartOptions = {}): Promise<TestMesh> {
    const dir = options.dir ?? await this.dir()
    const rec = new Recorder()
    const init: MeshInit = {
      privateKey: options.privateKey ?? await loadOrCreateIdentity(dir),
      federation: options.federation ?? 'fed-test',
      listen: options.listen ?? ['/ip4/127.0.0.1/tcp/0'],
      dir,
      codec: options.codec ?? testCodec,
      ...(options.maxPeers !== undefined ? { maxPeers: options.maxPeers } : {}),
      ...(options.limits !== undefined ? { limits: options.limits } : {}),
      ...(process.env.MYCEL_NET_LOG !== undefined ? { log: new Logger({ level: 'debug', write: line => { process.stdout.write(line) } }) } : {})
    }
    const host = await createHost(init, { isAllowed: options.isAllowed })
    const mesh = await createMesh(init, {
      receive: (from, message) => {
        rec.push({ kind: 'message', peer: from, message })
        return options.receive?.(from, message)
      },
      peerUp: peer => rec.push({ kind: 'up', peer }),
      peerDown: peer => rec.push({ kind: 'down', peer })
    }, host)
    await mesh.start()
    this.meshes.push(mesh)
    return { mesh, host, rec, dir }
  }

  async cleanup (): Promise<void> {
    await Promise.allSettled(this.meshes.map(async m => await m.stop()))
    await Promise.allSettled(this.dirs.map(async d => await rm(d, { recursive: true, force: true })))
  }
}

/** Poll a condition that has no event to await, up to a deadline. */
export async function until (condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
