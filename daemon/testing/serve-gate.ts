// A test-only hold on the chunks a holder serves, so a test can stop a fetch at
// an exact point instead of hoping a slow link stops it there: with
// MYCEL_TEST_SERVE_GATE=<file> (read by switches.ts), chunk i of any blob is
// sent only once the file holds a number above i; a missing file, or one that
// does not hold a number, holds nothing back. The test writes 4, waits until
// the fetcher has 4 chunks (it cannot get a fifth), looks, writes more.
// Also the serve delay (MYCEL_TEST_SERVE_DELAY_MS): both run before each chunk.

import { readFile } from 'node:fs/promises'
import type { Timers } from '../../protocol/ports.js'
import { sleep } from '../time.js'
import type { TestSwitches } from './switches.js'

/** How often a held chunk reads the file again: small next to a test's steps. */
const POLL_MS = 50

/** What the blob server awaits before each chunk it sends, if any switch asks for it. */
export function beforeChunk (switches: TestSwitches, timers: Timers): ((i: number) => Promise<void>) | undefined {
  const { serveDelayMs, serveGateFile } = switches
  if (serveDelayMs === undefined && serveGateFile === undefined) return undefined
  return async i => {
    if (serveGateFile !== undefined) while (i >= await limitOf(serveGateFile)) await sleep(timers, POLL_MS)
    if (serveDelayMs !== undefined) await sleep(timers, serveDelayMs)
  }
}

async function limitOf (file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '')
  const n = Number.parseInt(text.trim(), 10)
  return Number.isFinite(n) ? n : Infinity
}
