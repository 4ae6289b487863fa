// The HTTP side of the event stream with a real server and a real client: a
// reader that falls too far behind is cut off with an error line (the daemon
// goes on), and `mycel watch`'s reader turns that line into UNAVAILABLE.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiClient } from '../../../cli/api-client.js'
import { sendThrown } from '../../../daemon/api/errors.js'
import { readEvents } from '../../../cli/event-stream.js'
import { Logger } from '../../../daemon/log.js'
import { VisibilityHub } from '../../../daemon/visibility/hub.js'
import { MAX_SUBSCRIBER_BUFFER } from '../../../daemon/visibility/limits.js'
import { findRoute, requestUrl } from '../../../daemon/api/router.js'
import { visibilityRoutes } from '../../../daemon/api/visibility-routes.js'

function stubHub (): VisibilityHub {
  return new VisibilityHub({ selfId: 'me', webhooks: [] }, {
    log: new Logger({ write: () => {} }),
    replica: {
      get: () => undefined,
      versionVector: () => [],
      digest: () => new Uint8Array(),
      stats: () => ({ applied: 0, duplicates: 0, superseded: 0, rejected: 0, held: 0, heldNow: 0, heldBytes: 0, heldShed: 0, tooFarAhead: 0, pushesDropped: 0, released: 0, messagesOut: 0, antiEntropyRounds: 0, tombstonesCollected: 0, versionsCollected: 0, invalidated: 0, faultsNoticed: 0, faultsWritten: 0, acksRefused: 0 }),
      counts: () => ({ keys: 0, tombstones: 0 }),
      peerStatus: () => undefined
    },
    mesh: () => undefined,
    blobs: { has: async () => false }
  })
}

describe('GET /v1/events', () => {
  let server: Server | undefined
  let dir: string | undefined
  afterEach(async () => {
    server?.closeAllConnections()
    server?.close()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  async function serve (hub: VisibilityHub): Promise<string> {
    server = createServer((req, res) => {
      const found = findRoute(visibilityRoutes(() => hub), req.method ?? 'GET', requestUrl(req))
      if (found === undefined) { res.writeHead(404).end(); return }
      Promise.resolve().then(async () => { await found.route.handle(req, res, found.match) }).catch(err => { sendThrown(res, err) })
    })
    await new Promise<void>(resolve => server?.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  it('cuts off a reader that falls too far behind with an error line; the bus goes on for later readers', async () => {
    const hub = stubHub()
    const url = await serve(hub)
    const res = await fetch(`${url}/v1/events`)
    expect(res.status).toBe(200)
    await until(() => hub.bus.subscribers === 1)
    for (let i = 0; i <= MAX_SUBSCRIBER_BUFFER; i++) hub.bus.publish({ type: 'published', key: `k${i}` })
    const lines = (await res.text()).trim().split('\n').map(l => JSON.parse(l) as { error?: { code: string, message: string } })
    expect(lines.at(-1)?.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('was dropped') })
    expect(hub.bus.slowDropped).toBe(1)
    expect(hub.bus.subscribers).toBe(0)
    const again = await fetch(`${url}/v1/events?recent=2&prefix=k4`)
    const reader = again.body?.getReader()
    const first = new TextDecoder().decode((await reader?.read())?.value)
    expect(first.trim().split('\n').map(l => (JSON.parse(l) as { key: string }).key)).toEqual(['k4095', 'k4096'])
    await reader?.cancel()
  })

  it('the CLI reader turns the error line into UNAVAILABLE; a bad type is USAGE', async () => {
    const hub = stubHub()
    const url = await serve(hub)
    dir = await mkdtemp(join(tmpdir(), 'mycel-es-'))
    await writeFile(join(dir, 'api.json'), JSON.stringify({ url, pid: process.pid }))
    await writeFile(join(dir, 'api.token'), 'x'.repeat(64))
    const client = await ApiClient.open(dir)
    const reading = readEvents(client, {
      query: [],
      onOpen: () => { for (let i = 0; i <= MAX_SUBSCRIBER_BUFFER; i++) hub.bus.publish({ type: 'published', key: `k${i}` }) },
      onEvent: () => true
    })
    await expect(reading).rejects.toMatchObject({ code: 'UNAVAILABLE' })
    await expect(readEvents(client, { query: [['type', 'bogus']], onOpen: () => {}, onEvent: () => true })).rejects.toMatchObject({ code: 'USAGE' })
  })
})

async function until (check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}
