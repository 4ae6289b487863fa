// The status page in a real headless Chromium driven by playwright-core (which
// one: helpers/chromium.ts — $MYCEL_CHROMIUM, Debian's, or the one the npm
// package @sparticuz/chromium ships). The page opens with the token in its URL
// fragment, shows this node, then a member that joins, then a publish.
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chooseChromium } from '../../helpers/chromium.js'
import { cli, Node } from '../../helpers/daemons.js'

describe('status page in Chromium', () => {
  let a: Node
  let b: Node | undefined
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    const choice = await chooseChromium()
    try {
      // launch() gives every run a fresh temporary profile (playwright refuses --user-data-dir here).
      browser = await chromium.launch({ executablePath: choice.executablePath, headless: true, args: choice.args })
    } catch (err) {
      throw new Error(`could not start Chromium from ${choice.source} (${choice.executablePath}); set MYCEL_CHROMIUM to another: ${(err as Error).message}`)
    }
    a = await Node.create()
    await a.start()
  })
  afterAll(async () => {
    await browser?.close()
    await Promise.all([a?.destroy(), b?.destroy()])
  })

  it('asks for the token when opened without one, and serves no data without it', async () => {
    const p = await browser.newPage()
    await p.goto(`${a.ready?.api as string}/ui`)
    await p.locator('#login').waitFor({ state: 'visible' })
    expect(await p.locator('#sites tbody tr').count()).toBe(0)
    await p.close()
  })

  it('shows this node, then a member that joins, then a publish', async () => {
    const url = await cli(['status', '--ui', '--dir', a.dir])
    expect(url.code).toBe(0)
    expect(url.stdout.trim()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui#token=[0-9a-f]{64}$/)
    page = await browser.newPage()
    await page.goto(url.stdout.trim())
    // The token leaves the address bar at once.
    expect(page.url()).not.toContain('token')
    await page.locator(`#sites tr[data-peer="${a.ready?.peerId as string}"]`).waitFor()
    await page.locator('#stream', { hasText: 'live' }).waitFor()

    b = await Node.create()
    await b.start(['--join', await a.invite()])
    const row = page.locator(`#sites tr[data-peer="${b.ready?.peerId as string}"][data-state="connected"]`)
    await row.waitFor({ timeout: 20_000 })

    expect((await b.publish('page/artifact', 'shown live')).status).toBe(201)
    const ev = page.locator('#events tr[data-key="page/artifact"][data-type="replicated"]')
    await ev.waitFor({ timeout: 20_000 })
    expect(await ev.textContent()).toContain('page/artifact')
    expect((await a.publish('page/local', 'here')).status).toBe(201)
    await page.locator('#events tr[data-key="page/local"][data-type="published"]').waitFor({ timeout: 20_000 })
  })
})
