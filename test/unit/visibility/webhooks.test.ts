// Webhooks: config checks, one POST per event, retries and drops.
import { describe, expect, it } from 'vitest'
import { EventBus } from '../../../daemon/visibility/bus.js'
import { Logger } from '../../../daemon/log.js'
import { parseWebhooks, Webhooks } from '../../../daemon/visibility/webhooks.js'
import { validateConfig } from '../../../daemon/config.js'

function quietLog (lines: string[] = []): Logger {
  return new Logger({ level: 'debug', write: line => { lines.push(line) } })
}

/** A fetch stand-in answering from a script of statuses (or thrown errors). */
function scriptedFetch (script: Array<number | Error>, calls: Array<{ url: string, body: unknown }>): typeof fetch {
  return (async (url: string, init: RequestInit) => {
    calls.push({ url, body: JSON.parse(init.body as string) })
    const next = script.shift() ?? 200
    if (next instanceof Error) throw next
    return new Response(null, { status: next })
  }) as unknown as typeof fetch
}

async function until (check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

describe('webhooks', () => {
  it('retries with backoff, then delivers; gives up after the attempts and logs it', async () => {
    const bus = new EventBus()
    const calls: Array<{ url: string, body: unknown }> = []
    const lines: string[] = []
    const hooks = new Webhooks({ hooks: [{ url: 'http://h/1' }], backoffMs: 1, attemptsMax: 3 }, {
      bus, log: quietLog(lines), fetch: scriptedFetch([500, new Error('ECONNREFUSED'), 200, 500, 500, 500], calls), random: () => 0.5
    })
    hooks.start()
    bus.publish({ type: 'published', key: 'a' })
    bus.publish({ type: 'published', key: 'b' })
    await until(() => calls.length === 6)
    await until(() => hooks.stats()[0].failed === 1)
    expect(calls.map(c => (c.body as { key: string }).key)).toEqual(['a', 'a', 'a', 'b', 'b', 'b'])
    expect(hooks.stats()[0]).toMatchObject({ delivered: 1, retries: 4, failed: 1, dropped: 0 })
    expect(lines.some(l => l.includes('webhook delivery failed; event given up') && l.includes('"key":"b"'))).toBe(true)
    // Logs name a webhook by index and origin: its path (often a secret token) never reaches them.
    expect(lines.some(l => l.includes('"webhook":"#0 http://h"'))).toBe(true)
    expect(lines.join('\n')).not.toContain('http://h/1')
    await hooks.stop()
  })

  it('filters by type and prefix', async () => {
    const bus = new EventBus()
    const calls: Array<{ url: string, body: unknown }> = []
    const hooks = new Webhooks({ hooks: [{ url: 'http://h/2', events: ['available'], prefix: 'rel/' }] }, { bus, log: quietLog(), fetch: scriptedFetch([], calls) })
    hooks.start()
    bus.publish({ type: 'published', key: 'rel/1' })
    bus.publish({ type: 'available', key: 'tmp/1' })
    bus.publish({ type: 'available', key: 'rel/1' })
    await until(() => hooks.stats()[0].delivered === 1)
    expect(calls.map(c => c.body)).toMatchObject([{ type: 'available', key: 'rel/1' }])
    await hooks.stop()
  })

  it('a dead endpoint costs a bounded queue: the oldest events are dropped and counted; stop does not wait out backoff', async () => {
    const bus = new EventBus()
    const calls: Array<{ url: string, body: unknown }> = []
    const hooks = new Webhooks({ hooks: [{ url: 'http://h/3' }], backoffMs: 60_000, queueMax: 5 }, { bus, log: quietLog(), fetch: scriptedFetch([503], calls) })
    hooks.start()
    for (let i = 0; i < 20; i++) bus.publish({ type: 'published', key: `k${i}` })
    await until(() => calls.length === 1)
    // All 20 arrive before the worker runs: the 15 oldest are dropped, k15 is being tried, 4 wait.
    expect(hooks.stats()[0]).toMatchObject({ dropped: 15, queued: 4 })
    expect(calls[0].body).toMatchObject({ key: 'k15' })
    const t = Date.now()
    await hooks.stop()
    expect(Date.now() - t).toBeLessThan(1000)
  })

  it('config validation names the problem', () => {
    expect(parseWebhooks([{ url: 'https://x/y', events: ['published'], prefix: 'a/' }], 'cfg')).toEqual([{ url: 'https://x/y', events: ['published'], prefix: 'a/' }])
    expect(validateConfig({ webhooks: [{ url: 'http://127.0.0.1:1/h' }] }, 'config.json')).toEqual({ webhooks: [{ url: 'http://127.0.0.1:1/h' }] })
    expect(() => validateConfig({ webhooks: 'http://x' }, 'config.json')).toThrow(/config.json: "webhooks" must be a list/)
    expect(() => parseWebhooks({}, 'cfg')).toThrow(/"webhooks" must be a list/)
    expect(() => parseWebhooks([{ url: 'ftp://x' }], 'cfg')).toThrow(/\[0\]\.url must be an http/)
    expect(() => parseWebhooks([{ url: 'http://x', events: ['nope'] }], 'cfg')).toThrow(/events must be a list of: published/)
    expect(() => parseWebhooks([{ url: 'http://x', secret: 1 }], 'cfg')).toThrow(/unknown field "secret"/)
    expect(() => parseWebhooks(Array.from({ length: 17 }, () => ({ url: 'http://x' })), 'cfg')).toThrow(/over the limit of 16/)
  })
})
