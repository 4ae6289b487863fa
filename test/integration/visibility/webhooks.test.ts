// Webhooks you can rely on (#20), with a real daemon and a real receiver: a ping
// through `mycel webhooks ping`; an event published while the receiver is down
// waits in the durable queue, through a crash (SIGKILL) and restart of the
// sending daemon, and is delivered once the receiver is back, with the same
// webhook-id; the signature verifies with the secret; the custom headers and
// the site arrive; `mycel webhooks log --json` shows the attempts; redeliver
// sends it again. Every wait is on an observed state, never a sleep.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'
import { HookReceiver, type Delivered } from '../../helpers/visibility.js'
import type { DeliveryInfo, PingResult, WebhookInfo } from '../../../daemon/api/contract.js'

const SECRET = 'whsec_' + Buffer.from('an integration test secret of 32 b').toString('base64')

/** The receiver's side of the Standard Webhooks check: HMAC-SHA256 of "id.timestamp.body" with the whsec_ key. */
function verifies (d: Delivered): boolean {
  const id = String(d.headers['webhook-id'])
  const ts = String(d.headers['webhook-timestamp'])
  const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64')
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${d.raw}`).digest()
  const given = String(d.headers['webhook-signature']).split(' ').filter(s => s.startsWith('v1,')).map(s => Buffer.from(s.slice(3), 'base64'))
  return given.some(sig => sig.length === expected.length && timingSafeEqual(sig, expected)) && Math.abs(Date.now() / 1000 - Number(ts)) < 300
}

async function json<T> (node: Node, args: string[]): Promise<T> {
  const r = await cli([...args, '--json', '--dir', node.dir])
  if (r.code !== 0) throw new Error(`mycel ${args.join(' ')} exited ${String(r.code)}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

describe('webhooks with a durable queue (real daemon, real receiver)', () => {
  const hook = new HookReceiver()
  const dead = new HookReceiver() // up once for a free port, then down for good: every POST to it is refused
  let a: Node

  beforeAll(async () => {
    await hook.up()
    await dead.up()
    await dead.down()
    a = await Node.create({
      name: 'hub-eu',
      webhooks: [{
        url: `${hook.url}/hook?token=t0ps3cret`,
        events: ['published'],
        secret: SECRET,
        headers: { authorization: 'Bearer it-token', 'x-team': 'release' },
        // Retried every 250 ms..1 s, so the test sees the delivery promptly once the receiver is back.
        retryInitialMs: 250,
        retryMaxMs: '1s'
      }, {
        // A receiver that never answers, behind a queue of one: full at the second event.
        url: `${dead.url}/never`, events: ['published'], prefix: 'full/', maxPending: 1
      }]
    })
    await a.start()
  })
  afterAll(async () => {
    await hook.down()
    await a.destroy()
  })

  it('ping: signed, with the custom headers and the site', async () => {
    const ping = await json<PingResult>(a, ['webhooks', 'ping', '--webhook', '0'])
    expect(ping.deliveries).toEqual([{ webhook: 0, id: expect.stringMatching(/^msg_/) }])
    const id = ping.deliveries[0]?.id
    await until('the ping arrives', () => hook.received.some(d => d.headers['webhook-id'] === id))
    const d = hook.received.find(r => r.headers['webhook-id'] === id) as Delivered
    expect(d.path).toBe('/hook?token=t0ps3cret')
    expect(verifies(d)).toBe(true)
    expect(d.headers).toMatchObject({ authorization: 'Bearer it-token', 'x-team': 'release', 'content-type': 'application/json' })
    expect(d.body).toMatchObject({ type: 'ping', site: { peerId: a.ready?.peerId, name: 'hub-eu' } })
    await until('the ping is logged delivered', async () => (await json<DeliveryInfo[]>(a, ['webhooks', 'log'])).some(r => r.id === id && r.state === 'delivered'))
  })

  it('an event published while the receiver is down is delivered after it comes back, across a crash and restart of the daemon', async () => {
    await hook.down()
    const before = hook.received.length
    expect((await a.publish('rel/app-1.0', 'bytes')).status).toBe(201)
    // The receiver refuses: the delivery stays pending, its attempts and the problem logged.
    let row: DeliveryInfo | undefined
    await until('two refused attempts are logged', async () => {
      row = (await json<DeliveryInfo[]>(a, ['webhooks', 'log'])).find(r => r.key === 'rel/app-1.0')
      return row !== undefined && row.attempts >= 2
    })
    expect(row).toMatchObject({ webhook: 0, type: 'published', state: 'pending', status: null, error: expect.stringMatching(/ECONNREFUSED/) })
    const id = row?.id as string

    // A crash: no cleanup runs. What was queued is on disk (fsynced before its first attempt).
    await a.kill()
    await a.start()
    const [info] = await json<WebhookInfo[]>(a, ['webhooks'])
    expect(info).toMatchObject({ index: 0, origin: hook.url, signed: true, headers: ['authorization', 'x-team'], pending: 1, full: false })
    expect(JSON.stringify(info)).not.toContain('t0ps3cret')
    expect(JSON.stringify(info)).not.toContain('it-token')
    const after = (await json<DeliveryInfo[]>(a, ['webhooks', 'log'])).find(r => r.id === id)
    expect(after).toMatchObject({ state: 'pending' })
    expect(hook.received.length).toBe(before)

    await hook.up()
    await until('the queued event arrives', () => hook.received.some(d => d.headers['webhook-id'] === id))
    const d = hook.received.find(r => r.headers['webhook-id'] === id) as Delivered
    expect(verifies(d)).toBe(true)
    expect(d.headers).toMatchObject({ authorization: 'Bearer it-token', 'x-team': 'release' })
    expect(d.body).toMatchObject({ type: 'published', key: 'rel/app-1.0', author: a.ready?.peerId, site: { peerId: a.ready?.peerId, name: 'hub-eu' } })
    await until('the log says delivered', async () => {
      row = (await json<DeliveryInfo[]>(a, ['webhooks', 'log'])).find(r => r.id === id)
      return row?.state === 'delivered'
    })
    expect(row).toMatchObject({ status: 200, error: null, nextAttemptAt: null })
    expect(row?.attempts).toBeGreaterThanOrEqual(2)
  })

  it('redeliver sends a delivered event again with the same id and body', async () => {
    const row = (await json<DeliveryInfo[]>(a, ['webhooks', 'log'])).find(r => r.key === 'rel/app-1.0') as DeliveryInfo
    const first = hook.received.find(r => r.headers['webhook-id'] === row.id) as Delivered
    const again = await json<DeliveryInfo>(a, ['webhooks', 'redeliver', row.id])
    expect(again).toMatchObject({ id: row.id, redeliveries: 1, state: 'pending' })
    await until('it arrives again', () => hook.received.filter(r => r.headers['webhook-id'] === row.id).length === 2)
    const second = hook.received.filter(r => r.headers['webhook-id'] === row.id)[1] as Delivered
    expect(second.raw).toBe(first.raw)
    expect(verifies(second)).toBe(true)
    await until('the log says redelivered', async () => (await json<DeliveryInfo[]>(a, ['webhooks', 'log'])).some(r => r.id === row.id && r.state === 'delivered' && r.redeliveries === 1))
    const bad = await cli(['webhooks', 'redeliver', 'msg_unknown_1', '--dir', a.dir])
    expect(bad.code).toBe(3)
    expect(bad.stderr).toContain('no delivery msg_unknown_1 is kept')
  })

  it('a full queue says so in status and /metrics', async () => {
    await a.publish('full/1', 'x')
    await a.publish('full/2', 'y')
    await until('webhook #1 is full', async () => (await json<{ webhooks: WebhookInfo[] }>(a, ['status'])).webhooks[1]?.full === true)
    const [, info] = (await json<{ webhooks: WebhookInfo[] }>(a, ['status'])).webhooks
    expect(info).toMatchObject({ index: 1, pending: 1, maxPending: 1, dropped: 1, full: true })
    const text = await cli(['status', '--dir', a.dir])
    expect(text.stdout).toMatch(/#1 http:\/\/127\.0\.0\.1:\d+ {2}1 pending/)
    expect(text.stdout).toContain('WARNING: queue full (1 deliveries')
    const text2 = await metrics(a)
    expect(text2).toMatch(/^mycel_webhook_queue_full\{webhook="1"\} 1$/m)
    // Shed like every full queue (issue #17): status stats.shed and mycel_shed_total.
    expect(text2).toMatch(/^mycel_shed_total\{bound="webhook-queue"\} 1$/m)
    const shed = (await json<{ stats: { shed: Record<string, { total: number }> } }>(a, ['status'])).stats.shed
    expect(shed['webhook-queue']).toMatchObject({ total: 1, offenders: [] })
    const log = await json<DeliveryInfo[]>(a, ['webhooks', 'log', '--webhook', '1'])
    // The oldest waiting one is dropped; one whose POST is in flight never is (then the newer goes).
    expect(log.map(r => r.state).sort()).toEqual(['dropped', 'pending'])
    expect(log.map(r => r.key).sort()).toEqual(['full/1', 'full/2'])
  })

  it('/metrics counts them by index, never by URL', async () => {
    const text = await metrics(a)
    expect(text).toMatch(/^mycel_webhook_delivered_total\{webhook="0"\} [1-9]\d*$/m)
    expect(text).toMatch(/^mycel_webhook_queue_full\{webhook="0"\} 0$/m)
    expect(text).toMatch(/^mycel_webhook_pending\{webhook="0"\} 0$/m)
    expect(text).not.toContain('t0ps3cret')
    // A clean stop with deliveries waiting (webhook #1's) flushes the queue and exits 0.
    expect(await a.stop()).toBe(0)
  })
})

async function metrics (node: Node): Promise<string> {
  const token = (await readFile(join(node.dir, 'api.token'), 'utf8')).trim()
  return await (await fetch(`${node.ready?.api as string}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text()
}
