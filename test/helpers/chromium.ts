// Which Chromium the browser tests drive with playwright-core, and with which flags. In order:
// $MYCEL_CHROMIUM if set; Debian's /usr/bin/chromium if present; else the headless Chromium that the
// devDependency @sparticuz/chromium ships inside its npm package (extracted to the temp dir on first
// use), so `npm ci && npm test` needs nothing but Node. No browser is ever downloaded from elsewhere.
import { access } from 'node:fs/promises'

/**
 * Of @sparticuz/chromium's flags (made for a serverless sandbox), the ones a test must not take: in one
 * process, closing a page ends the whole browser; and the page's security (its CSP, the same-origin
 * rule) is part of what is tested here.
 */
const NOT_FOR_TESTS = new Set(['--single-process', '--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials'])

/** This machine's network is closed: without these, Chromium keeps dialing Google's hosts at every start. */
const QUIET = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export interface ChromiumChoice {
  executablePath: string
  args: string[]
  /** For failure messages: which of the three it is. */
  source: 'MYCEL_CHROMIUM' | '/usr/bin/chromium' | '@sparticuz/chromium'
}

export async function chooseChromium (env: NodeJS.ProcessEnv = process.env): Promise<ChromiumChoice> {
  const own = env.MYCEL_CHROMIUM
  if (own !== undefined && own !== '') return { executablePath: own, args: ['--no-sandbox', ...QUIET], source: 'MYCEL_CHROMIUM' }
  if (await exists('/usr/bin/chromium')) return { executablePath: '/usr/bin/chromium', args: ['--no-sandbox', ...QUIET], source: '/usr/bin/chromium' }
  const { default: packaged } = await import('@sparticuz/chromium')
  // Its other flags: no sandbox, software GL (swiftshader), headless shell; ours quiet the network.
  const args = packaged.args.filter(a => !NOT_FOR_TESTS.has(a))
  return { executablePath: await packaged.executablePath(), args: [...args, ...QUIET], source: '@sparticuz/chromium' }
}

async function exists (path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
