// Webhook delivery end to end in process, in virtual time (test/helpers/virtual-time.ts):
// bus → durable queue → worker → a scripted fetch. Hours of retry schedule run in
// milliseconds; a "restart" is a new Webhooks on the same storage.
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { EventBus } from '../../../daemon/visibility/bus.js'
import { Logger } from '../../../daemon/log.js'
import type { WebhookConfig } from '../../../daemon/visibility/webhooks/config.js'
import { parseSecret } from '../../../daemon/visibility/webhooks/signing.js'
import { MemoryDeliveryStorage, type DeliveryStorage } from '../../../daemon/visibility/webhooks/storage.js'
import { webhookKeys, Webhooks } from '../../../daemon/visibility/webhooks/webhooks.js'
import { VirtualTime } from '../../helpers/virtual-time.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

interface Call { url: string, headers: Record<string, string>, body: string, atMs: number }

/**
 * A receiver: `answer` decides each request's fate (a status, or an Error thrown as fetch throws it
 * for a refused connection); 'hang' never answers (until the attempt's deadline aborts it).
 */
class Receiver {
  calls: Call[] = []
  answer: (call: Call) => number | Error | 'hang' = () => 200
  constructor (private readonly time: VirtualTime) {}

  readonly fetch = (async (url: string, init: RequestInit & { headers: Record<string, string> }) => {
    const call = { url, headers: init.headers, body: init.body as string, atMs: this.time.nowMs() }
    this.calls.push(call)
    const a = this.answer(call)
    if (a === 'hang') {
      return await new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => { reject(new DOMException('aborted', 'AbortError')) })
      })
    }
    if (a instanceof Error) throw a
    return new Response(null, { status: a })
  }) as unknown as typeof fetch

  bodies (): Array<Record<string, unknown>> { return this.calls.map(c => JSON.parse(c.body) as Record<string, unknown>) }
}

function refused (): Error {
  return Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })
}

function setup (hooks: WebhookConfig[], opts: { storage?: DeliveryStorage, time?: VirtualTime, receiver?: Receiver, nowMs?: () => number } = {}): {
  bus: EventBus, time: VirtualTime, receiver: Receiver, storage: DeliveryStorage, lines: string[], webhooks: Webhooks, shed: number[]
} {
  const time = opts.time ?? new VirtualTime()
  const receiver = opts.receiver ?? new Receiver(time)
  const storage = opts.storage ?? new MemoryDeliveryStorage()
  const lines: string[] = []
  const shed: number[] = []
  const bus = new EventBus()
  const webhooks = new Webhooks({ hooks, selfId: '12D3KooWSelf' }, {
    bus, log: new Logger({ level: 'debug', write: line => { lines.push(line) } }), siteName: () => 'hub-eu', storage,
    fetch: receiver.fetch, timers: time, nowMs: opts.nowMs ?? time.nowMs, random: () => 0.5,
    onDropped: (index, n) => { for (let i = 0; i < n; i++) shed.push(index) }
  })
  return { bus, time, receiver, storage, lines, webhooks, shed }
}

describe('webhooks (durable queue, in virtual time)', () => {
  it('POSTs each matching event in order, with the site, the signature and the custom headers', async () => {
    const { bus, time, receiver, webhooks } = setup([{ url: 'http://h/1?token=t0k', events: ['published', 'available'], prefix: 'rel/', secret: SECRET, headers: { authorization: 'Bearer abc', 'x-team': 'release' } }])
    await webhooks.start()
    bus.publish({ type: 'published', key: 'rel/1' })
    bus.publish({ type: 'published', key: 'tmp/1' })
    bus.publish({ type: 'deleted', key: 'rel/1' })
    bus.publish({ type: 'available', key: 'rel/1' })
    await time.until('two deliveries', () => webhooks.list()[0]?.delivered === 2)
    expect(receiver.bodies()).toMatchObject([
      { type: 'published', key: 'rel/1', site: { peerId: '12D3KooWSelf', name: 'hub-eu' } },
      { type: 'available', key: 'rel/1', site: { peerId: '12D3KooWSelf', name: 'hub-eu' } }
    ])
    const { headers, body } = receiver.calls[0] as Call
    expect(headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer abc', 'x-team': 'release' })
    const id = headers['webhook-id'] as string
    const ts = headers['webhook-timestamp'] as string
    expect(ts).toBe(String(Math.floor(time.nowMs() / 1000)))
    const expected = createHmac('sha256', parseSecret(SECRET, 's')).update(`${id}.${ts}.${body}`).digest('base64')
    expect(headers['webhook-signature']).toBe(`v1,${expected}`)
    expect(new Set(receiver.calls.map(c => c.headers['webhook-id'])).size).toBe(2)
    await webhooks.stop()
  })

  it('retries on the backoff schedule while the receiver is down for hours, then delivers; the log shows the attempts', async () => {
    const { bus, time, receiver, webhooks } = setup([{ url: 'http://h/2' }])
    receiver.answer = () => refused()
    await webhooks.start()
    const t0 = time.nowMs()
    bus.publish({ type: 'published', key: 'a' })
    await time.advance(3 * 3_600_000)
    // 1 s doubling (random 0.5: no jitter) to the 1 h cap: attempts at 0, 1, 3, 7, … s.
    const offsets = receiver.calls.map(c => (c.atMs - t0) / 1000)
    expect(offsets.slice(0, 6)).toEqual([0, 1, 3, 7, 15, 31])
    expect(offsets.every((t, i) => i === 0 || t - (offsets[i - 1] as number) <= 3600)).toBe(true)
    const [row] = webhooks.deliveries()
    expect(row).toMatchObject({ state: 'pending', attempts: receiver.calls.length, status: null, error: 'ECONNREFUSED' })
    receiver.answer = () => 200
    await time.until('delivered', () => webhooks.deliveries()[0]?.state === 'delivered', 3_600_000, 60_000)
    expect(webhooks.deliveries()[0]).toMatchObject({ state: 'delivered', status: 200, error: null, nextAttemptAt: null })
    expect(webhooks.list()[0]).toMatchObject({ pending: 0, delivered: 1, retries: receiver.calls.length - 1 })
    await webhooks.stop()
  })

  it('an error status and a hung receiver are failures too; a redirect is not followed', async () => {
    const { bus, time, receiver, webhooks } = setup([{ url: 'http://h/3', timeoutMs: 2000 }])
    const script: Array<number | 'hang'> = [503, 'hang', 302, 204]
    receiver.answer = () => script.shift() ?? 200
    await webhooks.start()
    bus.publish({ type: 'published', key: 'a' })
    await time.until('delivered', () => webhooks.list()[0]?.delivered === 1)
    expect(receiver.calls).toHaveLength(4)
    expect(webhooks.deliveries()[0]).toMatchObject({ state: 'delivered', attempts: 4, status: 204 })
    await webhooks.stop()
  })

  it('gives up retryGiveUpMs after queueing (logged, kept as failed); redeliver sends it again with the same id', async () => {
    const { bus, time, receiver, lines, webhooks } = setup([{ url: 'http://h/4/secret-path', retryInitialMs: 1000, retryMaxMs: 60_000, retryGiveUpMs: 600_000 }])
    receiver.answer = () => 500
    await webhooks.start()
    bus.publish({ type: 'deleted', key: 'gone' })
    await time.until('given up', () => webhooks.deliveries()[0]?.state === 'failed', 700_000, 10_000)
    const failed = webhooks.deliveries()[0]
    expect(failed).toMatchObject({ state: 'failed', status: 500, error: 'HTTP 500' })
    const lastAt = receiver.calls.at(-1)?.atMs as number
    expect(lastAt - (receiver.calls[0] as Call).atMs).toBe(600_000) // the last attempt at the window's end
    expect(lines.some(l => l.includes('webhook delivery given up') && l.includes('"webhook":"#0 http://h"'))).toBe(true)
    expect(lines.join('\n')).not.toContain('secret-path')

    receiver.answer = () => 200
    const before = receiver.calls.length
    const again = await webhooks.redeliver(failed?.id as string)
    expect(again).toMatchObject({ id: failed?.id, state: 'pending', attempts: 0, redeliveries: 1 })
    await time.until('redelivered', () => webhooks.deliveries()[0]?.state === 'delivered')
    const resent = receiver.calls[before] as Call
    expect(resent.headers['webhook-id']).toBe(failed?.id)
    expect(resent.body).toBe(receiver.calls[0]?.body)
    expect(webhooks.deliveries()).toHaveLength(1)
    await expect(webhooks.redeliver('msg_nope_1')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await webhooks.stop()
  })

  it('survives a restart: pending deliveries resume on their schedule, ids are never reused', async () => {
    const storage = new MemoryDeliveryStorage()
    const time = new VirtualTime()
    const first = setup([{ url: 'http://h/5' }, { url: 'http://other/' }], { storage, time })
    first.receiver.answer = () => refused()
    await first.webhooks.start()
    first.bus.publish({ type: 'published', key: 'a' })
    first.bus.publish({ type: 'published', key: 'b' })
    await time.advance(10_000)
    const idsBefore = first.webhooks.deliveries(0).map(d => d.id)
    expect(idsBefore).toHaveLength(2)
    await first.webhooks.stop()

    await time.advance(60_000) // the daemon is down a minute
    // Restarted with the config reordered: each queue stays with its URL.
    const second = setup([{ url: 'http://other/' }, { url: 'http://h/5' }], { storage, time })
    await second.webhooks.start()
    expect(second.webhooks.list()[1]).toMatchObject({ pending: 2 })
    await time.until('both delivered', () => second.webhooks.list()[1]?.delivered === 2)
    const toH5 = second.receiver.calls.filter(c => c.url === 'http://h/5')
    expect(toH5.map(c => (JSON.parse(c.body) as { key: string }).key)).toEqual(['a', 'b'])
    expect(toH5.map(c => c.headers['webhook-id'])).toEqual(idsBefore.reverse())
    second.bus.publish({ type: 'published', key: 'c' })
    await time.until('c delivered', () => second.webhooks.list()[1]?.delivered === 3)
    const ids = second.webhooks.deliveries().map(d => d.id)
    expect(new Set(ids).size).toBe(ids.length)
    // a: 4 refused attempts (0, 1, 3, 7 s) before the restart, the 5th after; b waited behind it (in order).
    expect(second.webhooks.deliveries(1).map(d => `${d.key as string} ${d.attempts}`)).toEqual(['c 1', 'b 1', 'a 5'])
    await second.webhooks.stop()

    // A webhook removed from the config: its deliveries are forgotten at the next start.
    const third = setup([{ url: 'http://other/' }], { storage, time })
    await third.webhooks.start()
    expect(third.webhooks.deliveries()).toEqual(second.webhooks.deliveries(0))
    await third.webhooks.stop()
    const [otherKey] = webhookKeys([{ url: 'http://other/' }])
    const kept = (await storage.load()).records
    expect(kept.length).toBe(3)
    expect(kept.every(r => r.hook === otherKey)).toBe(true)
    expect(storage.bodyCount).toBe(3)
  })

  it('is bounded in count and bytes: the oldest waiting deliveries are dropped, counted, kept as dropped; `full` says so', async () => {
    const { bus, time, receiver, lines, webhooks, shed } = setup([{ url: 'http://h/6', maxPending: 3 }, { url: 'http://h/7', maxPendingBytes: 1024 }])
    receiver.answer = () => 'hang'
    await webhooks.start()
    bus.publish({ type: 'published', key: 'k0' })
    await time.advance(100) // k0's POST is in flight (the receiver does not answer)
    for (let i = 1; i < 10; i++) bus.publish({ type: 'published', key: `k${i}`, size: i })
    await time.advance(100)
    const [byCount, byBytes] = webhooks.list()
    expect(byCount).toMatchObject({ pending: 3, dropped: 7, full: true, maxPending: 3 })
    expect(byBytes?.pendingBytes).toBeLessThanOrEqual(1024)
    expect(byBytes?.full).toBe(true)
    expect((byBytes?.pending ?? 0) + (byBytes?.dropped ?? 0)).toBe(10)
    // The oldest waiting are dropped, never the one in flight (k0), whose POST goes on.
    const keys = webhooks.deliveries(0, 100).map(d => `${d.key as string} ${d.state}`)
    expect(keys.filter(k => k.endsWith('pending'))).toEqual(['k9 pending', 'k8 pending', 'k0 pending'])
    expect(keys.filter(k => k.endsWith('dropped'))).toEqual(['k7 dropped', 'k6 dropped', 'k5 dropped', 'k4 dropped', 'k3 dropped', 'k2 dropped', 'k1 dropped'])
    expect(lines.filter(l => l.includes('webhook queue full')).length).toBe(2) // once per webhook, not per drop
    expect(shed.filter(i => i === 0)).toHaveLength(7) // told to the daemon's shed ledger
    expect(shed.filter(i => i === 1)).toHaveLength(byBytes?.dropped ?? -1)
    receiver.answer = () => 200
    await time.until('drained', () => webhooks.list()[0]?.pending === 0)
    expect(webhooks.list()[0]).toMatchObject({ full: false, delivered: 3 })
    await webhooks.stop()
  })

  it('ping goes through the same queue: { type: ping, atMs, site }', async () => {
    const { time, receiver, webhooks } = setup([{ url: 'http://h/8' }, { url: 'http://h/9' }])
    await webhooks.start()
    const r = webhooks.ping(1)
    expect(r.deliveries).toEqual([{ webhook: 1, id: expect.stringMatching(/^msg_[a-z2-7]{10}_\d+$/) }])
    await time.until('pinged', () => webhooks.list()[1]?.delivered === 1)
    expect(receiver.calls[0]?.url).toBe('http://h/9')
    expect(receiver.bodies()[0]).toEqual({ type: 'ping', atMs: expect.any(Number), site: { peerId: '12D3KooWSelf', name: 'hub-eu' } })
    expect(webhooks.ping().deliveries.map(d => d.webhook)).toEqual([0, 1])
    expect(() => webhooks.ping(2)).toThrow(/no webhook #2/)
    await webhooks.stop()
  })

  it('a wall clock set back does not stall a waiting delivery', async () => {
    const time = new VirtualTime()
    let skewMs = 0
    const { bus, receiver, webhooks } = setup([{ url: 'http://h/12', retryInitialMs: 60_000, retryMaxMs: 60_000 }], { time, nowMs: () => time.nowMs() - skewMs })
    receiver.answer = () => receiver.calls.length === 1 ? 500 : 200
    await webhooks.start()
    bus.publish({ type: 'published', key: 'a' })
    await time.advance(100) // the first attempt failed: the next is due in 60 s of wall time
    skewMs = 86_400_000 // the wall clock is set back a day
    await time.until('delivered', () => webhooks.list()[0]?.delivered === 1, 120_000)
    expect(receiver.calls).toHaveLength(2)
    await webhooks.stop()
  })

  it('stop does not wait out a backoff or a hung POST', async () => {
    const { bus, time, receiver, webhooks } = setup([{ url: 'http://h/10' }, { url: 'http://h/11' }])
    receiver.answer = call => call.url.endsWith('10') ? 'hang' : 500
    await webhooks.start()
    bus.publish({ type: 'published', key: 'a' })
    await time.advance(5000)
    await webhooks.stop() // no virtual time passes: it must end on its own
    expect(webhooks.list()[0]).toMatchObject({ pending: 1 })
  })
})
