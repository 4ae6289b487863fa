// `mycel daemon --metrics-listen ADDR`: /metrics without the API token on an address the operator
// chooses (here 127.0.0.1 with a free port), and nothing else there; the local API still wants the token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseListenAddr } from '../../../daemon/listen-addr.js'
import { cli, Node } from '../../helpers/daemons.js'

describe('metrics on their own listener', () => {
  let a: Node
  beforeAll(async () => {
    a = await Node.create()
    await a.start(['--metrics-listen', '127.0.0.1:0'])
  })
  afterAll(async () => { await a?.destroy() })

  it('serves GET /metrics without a token: mycel_*, process_* and nodejs_*', async () => {
    const url = (a.ready as { metrics?: string }).metrics as string
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const text = await res.text()
    for (const name of ['mycel_keys', 'mycel_events_held_now', 'process_resident_memory_bytes', 'nodejs_heap_size_total_bytes']) expect(text).toContain(`# TYPE ${name} `)
    expect((await fetch(`${a.ready?.api as string}/metrics`)).status).toBe(401)
  })

  it('serves nothing else: 404 for other paths, 405 for other methods, JSON errors', async () => {
    const base = new URL((a.ready as { metrics?: string }).metrics as string).origin
    const other = await fetch(`${base}/v1/status`)
    expect(other.status).toBe(404)
    expect(await other.json()).toMatchObject({ error: { code: 'NOT_FOUND' } })
    const post = await fetch(`${base}/metrics`, { method: 'POST' })
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD'])
  })

  it('a bad address is a usage error naming the flag (exit 2)', async () => {
    const n = await Node.create()
    try {
      const res = await cli(['daemon', '--dir', n.dir, '--metrics-listen', 'nowhere'])
      expect(res.code).toBe(2)
      expect(res.stderr).toContain('--metrics-listen must be HOST:PORT')
    } finally {
      await n.destroy()
    }
    expect(parseListenAddr(':9464')).toEqual({ host: undefined, port: 9464 })
    expect(parseListenAddr('9464')).toEqual({ host: undefined, port: 9464 })
    expect(parseListenAddr('[::1]:9464')).toEqual({ host: '::1', port: 9464 })
    expect(parseListenAddr('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 })
    expect(() => parseListenAddr('host:99999')).toThrow(/HOST:PORT/)
  })
})
