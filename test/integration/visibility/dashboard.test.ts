// The status page as a dashboard (#20), in a real headless Chromium (helpers/chromium.ts) over three
// real daemons: a hub and two edges, eager and none. Healthy: every site by name, connected (green),
// with its policy and groups, and a transfer in flight shown on the sending side (the hub serves the
// eager edge, slowed by the test switch MYCEL_TEST_SERVE_DELAY_MS). Degraded: the none edge is killed
// and shown unreachable in red, with a site-down event, its true lag, and the sites' reports agreeing; every site's own report gives its disk and what it lacks. A screenshot of each is written to
// $MYCEL_SCREENSHOT_DIR (default <tmp>/mycel-dashboard), printed in the output. The DOM is checked
// for the names and states, and for what the page must never show: a raw HLC stamp, a raw byte count.
// Every wait is on an observed state.
import { mkdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PeerSync, SiteRow } from '../../../daemon/api/contract.js'
import { chooseChromium } from '../../helpers/chromium.js'
import { cli, Node, until } from '../../helpers/daemons.js'

const SHOTS = process.env.MYCEL_SCREENSHOT_DIR ?? join(tmpdir(), 'mycel-dashboard')
/** 48 chunks of 64 KiB, each sent 200 ms late by the hub: a transfer that lasts seconds, long enough to be seen. */
const CHUNK_BYTES = 64 * 1024
const BLOB_BYTES = 48 * CHUNK_BYTES
const SERVE_DELAY_MS = 200
const UI_WAIT_MS = 20_000

async function apiGet<T> (node: Node, path: string): Promise<T> {
  const token = (await readFile(join(node.dir, 'api.token'), 'utf8')).trim()
  const res = await fetch(`${node.ready?.api as string}${path}`, { headers: { authorization: `Bearer ${token}` } })
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`)
  return await res.json() as T
}

/** The page's text as a person reads it, without ids (class "id": peer ids, the federation's), which are names, not quantities. */
async function readableText (page: Page): Promise<string> {
  return await page.evaluate(() => {
    const body = document.body.cloneNode(true) as HTMLElement
    body.querySelectorAll('script, style, .id').forEach(e => { e.remove() })
    return body.textContent ?? ''
  })
}

async function expectNoRawNumbers (page: Page): Promise<void> {
  const text = await readableText(page)
  expect(text).not.toMatch(/\b\d{10,}\.\d+\b/) // an HLC stamp: <wall ms>.<logical>
  expect(text).not.toMatch(/\b\d{5,}\b/) // a raw byte count (or any bare count) over 9999
}

/**
 * The colour of a site's state dot, read in one turn of the page's own JavaScript: the table is redrawn
 * every few seconds, and an element found by one call and read by the next may be a detached one by then
 * (its computed colour is '' — seen once on a loaded machine).
 */
async function dotColor (page: Page, site: string): Promise<string> {
  return await page.evaluate(s => {
    const dot = document.querySelector(`#sites tr[data-site="${s}"] .dot`)
    return dot === null ? 'no dot' : getComputedStyle(dot).backgroundColor
  }, site)
}

/** [name, data-state] of every row of the sites table, sorted. */
async function siteStates (page: Page): Promise<string[][]> {
  const rows = await page.locator('#sites tbody tr').evaluateAll(trs => trs.map(tr => [(tr as HTMLElement).dataset.site ?? '', (tr as HTMLElement).dataset.state ?? '']))
  return rows.sort((a, b) => a[0].localeCompare(b[0]))
}

describe('the status page as a dashboard of a hub and two edges', () => {
  let browser: Browser
  let page: Page
  let hub: Node, eager: Node, none: Node

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true })
    const choice = await chooseChromium()
    browser = await chromium.launch({ executablePath: choice.executablePath, headless: true, args: choice.args })
    hub = await Node.create({ name: 'hub', blobChunkBytes: CHUNK_BYTES })
    eager = await Node.create({ name: 'edge-eager', groups: ['edge'] })
    none = await Node.create({ name: 'edge-none', groups: ['edge'], replicate: 'none' })
    await hub.start([], 20_000, { MYCEL_TEST_SERVE_DELAY_MS: String(SERVE_DELAY_MS) })
    await Promise.all([eager, none].map(async n => { await n.start(['--join', await hub.invite()]) }))
    await until('the hub sees both edges connected, named, with their policies', async () => {
      const rows = await apiGet<SiteRow[]>(hub, '/v1/sites')
      return rows.length === 3 && rows.every(r => r.state === 'connected' && r.name !== null && r.mode !== null)
    }, 30_000)
  })
  afterAll(async () => {
    await browser?.close()
    await Promise.all([hub, eager, none].map(async n => { await n?.destroy() }))
  })

  it('healthy: every site by name, green, with policy and groups; a transfer in flight on the sending side', async () => {
    const url = await cli(['status', '--ui', '--dir', hub.dir])
    expect(url.code).toBe(0)
    page = await browser.newPage({ viewport: { width: 1600, height: 800 } })
    await page.goto(url.stdout.trim())
    for (const name of ['hub', 'edge-eager', 'edge-none']) {
      await page.locator(`#sites tr[data-site="${name}"][data-state="connected"]`).waitFor({ timeout: UI_WAIT_MS })
    }
    await page.locator('#stream', { hasText: 'live' }).waitFor()

    // The receiving side's page too: the eager edge's own dashboard.
    const eagerUrl = await cli(['status', '--ui', '--dir', eager.dir])
    const eagerPage = await browser.newPage({ viewport: { width: 1600, height: 600 } })
    await eagerPage.goto(eagerUrl.stdout.trim())
    await eagerPage.locator('#sites tr[data-site="hub"][data-state="connected"]').waitFor({ timeout: UI_WAIT_MS })

    expect((await hub.publish('dash/app-1.0', 'x'.repeat(BLOB_BYTES))).status).toBe(201)
    // The hub serves the eager edge (the none edge fetches nothing): "↑ 1 serving · 250 KiB/s" in its row;
    // the edge fetches from the hub: "↓ 1 fetching · 250 KiB/s" in the hub's row of its page.
    const rate = String.raw`[\d.]+ (B|KiB|MiB)/s`
    await Promise.all([
      page.locator('#sites tr[data-site="edge-eager"] td', { hasText: new RegExp(`↑ \\d+ serving · ${rate}`) }).waitFor({ timeout: UI_WAIT_MS }),
      eagerPage.locator('#sites tr[data-site="hub"] td', { hasText: new RegExp(`↓ \\d+ fetching.* · ${rate}`) }).waitFor({ timeout: UI_WAIT_MS })
    ])
    const receiving = join(SHOTS, 'healthy-receiving-edge.png')
    await eagerPage.screenshot({ path: receiving, fullPage: true })
    console.log(`dashboard screenshot (healthy, the receiving edge): ${receiving}`)
    await expectNoRawNumbers(eagerPage)
    await eagerPage.close()
    await page.locator('#events tr[data-type="published"][data-key="dash/app-1.0"]', { hasText: '3.00 MiB' }).waitFor()
    await page.locator('#sites tr[data-site="hub"] td', { hasText: /\d+(\.\d+)? (KiB|MiB)/ }).first().waitFor() // its disk use
    const shot = join(SHOTS, 'healthy.png')
    await page.screenshot({ path: shot, fullPage: true })
    console.log(`dashboard screenshot (healthy): ${shot}`)

    expect(await siteStates(page)).toEqual([['edge-eager', 'connected'], ['edge-none', 'connected'], ['hub', 'connected']])
    const noneRow = page.locator('#sites tr[data-site="edge-none"]')
    expect(await noneRow.textContent()).toMatch(/connected.*none.*edge.*writer/)
    expect(await page.locator('#sites tr[data-site="hub"]').textContent()).toContain('(this node)')
    await expect.poll(async () => await dotColor(page, 'edge-eager'), { timeout: UI_WAIT_MS }).toBe('rgb(42, 157, 58)')
    await expectNoRawNumbers(page)

    // Both ways in the API the page reads: the hub counts what it sent, the edge what it received.
    await until('the eager edge received the blob and the hub counted it sent', async () => {
      const sent = (await apiGet<PeerSync[]>(hub, '/v1/sync')).find(p => p.peerId === eager.ready?.peerId)?.transfers
      const got = (await apiGet<PeerSync[]>(eager, '/v1/sync')).find(p => p.peerId === hub.ready?.peerId)?.transfers
      return (sent?.bytesOut ?? 0) >= BLOB_BYTES && (got?.bytesIn ?? 0) >= BLOB_BYTES
    }, 60_000)
    const stats = (await apiGet<{ stats: { disk: { blobsBytes: number } | null } }>(hub, '/v1/status')).stats
    expect(stats.disk?.blobsBytes ?? 0).toBeGreaterThanOrEqual(BLOB_BYTES)
  })

  it('degraded: a killed edge is shown unreachable in red, by name, with a site-down event', async () => {
    await none.kill()
    const down = page.locator('#sites tr[data-site="edge-none"][data-state="unreachable"]')
    await down.waitFor({ timeout: UI_WAIT_MS })
    await page.locator('#events tr[data-type="site-down"][data-site="edge-none"]').waitFor({ timeout: UI_WAIT_MS })
    expect(await down.locator('td.state').textContent()).toMatch(/^unreachable for \d+ (ms|s)$/)
    await expect.poll(async () => await dotColor(page, 'edge-none'), { timeout: UI_WAIT_MS }).toBe('rgb(221, 34, 34)')
    expect(await down.locator('td').nth(3).textContent()).toMatch(/^seen \d+ (ms|s) ago$/)
    // Written while it is down: its true lag, from its last report, grows (never a fake 0).
    expect((await hub.publish('dash/while-down', 'later')).status).toBe(201)
    await down.locator('td', { hasText: /^1 event, \d+ (ms|s)$/ }).waitFor({ timeout: UI_WAIT_MS })
    // The federation-wide view, from the sites' gossiped reports: the eager edge says it holds the blob,
    // and every report on edge-none (the hub's own and the eager edge's) says it is down.
    await page.locator('#sites tr[data-site="edge-eager"] td', { hasText: /^3\.00 MiB$/ }).waitFor({ timeout: 60_000 })
    await down.locator('td', { hasText: /^0 of 2 see it up$/ }).waitFor({ timeout: 30_000 }) // the hub's own report and the eager edge's
    const shot = join(SHOTS, 'degraded.png')
    await page.screenshot({ path: shot, fullPage: true })
    console.log(`dashboard screenshot (degraded): ${shot}`)

    expect(await siteStates(page)).toEqual([['edge-eager', 'connected'], ['edge-none', 'unreachable'], ['hub', 'connected']])
    expect(await page.locator('#summary').textContent()).toContain('1 unreachable')
    await expectNoRawNumbers(page)
  })
})
