// `node dist/tools/abuse/main.js [--only strangers,badpush,future,future-near] [--settle-ms N]`: issue #17's
// attacks against real daemons on 127.0.0.1, with what they cost the victim (RSS, status latency,
// log lines). Not tests: the figures depend on the machine; the tests under test/integration/abuse/
// assert bounds on them. Build first (`npm run build`). Prints one JSON line per attack on stdout.

import '../../daemon/polyfill.js'
import { parseArgs } from 'node:util'
import { badPush, futureFlood, type Figures, type Say } from './floods.js'
import { strangers } from './strangers.js'

const ATTACKS: Record<string, (say: Say, settleMs: number) => Promise<Figures>> = {
  strangers: async say => await strangers(say),
  badpush: async (say, settleMs) => await badPush(say, 15_000, settleMs),
  future: async (say, settleMs) => await futureFlood(say, 10_000, 15 * 1024, settleMs),
  // Inside the hold horizon (10 min) but beyond the clock-offset bound (60 s): held, up to the byte bound.
  'future-near': async (say, settleMs) => await futureFlood(say, 10_000, 15 * 1024, settleMs, 5 * 60_000)
}

const { values } = parseArgs({ options: { only: { type: 'string' }, 'settle-ms': { type: 'string' } }, strict: true })
const only = values.only?.split(',') ?? Object.keys(ATTACKS)
const settleMs = Number(values['settle-ms'] ?? 30_000)
for (const name of only) {
  const attack = ATTACKS[name]
  if (attack === undefined) {
    process.stderr.write(`abuse: unknown attack ${name} (known: ${Object.keys(ATTACKS).join(', ')})\n`)
    process.exit(2)
  }
  const say: Say = line => { process.stderr.write(`[${name}] ${line}\n`) }
  try {
    const figures = await attack(say, settleMs)
    process.stdout.write(JSON.stringify({ attack: name, ...figures }) + '\n')
  } catch (err) {
    process.stdout.write(JSON.stringify({ attack: name, failed: (err as Error).stack ?? String(err) }) + '\n')
  }
}
