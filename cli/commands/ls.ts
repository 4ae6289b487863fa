// `mycel ls`: the live keys under a prefix, a page at a time (GET /v1/keys?after=&limit=), each
// page written as it arrives, so a million keys are never all in memory, here or in the daemon.
// --json is still one JSON array, written piece by piece, byte for byte what
// JSON.stringify(entries, null, 2) printed when ls read them all at once. A failure midway
// leaves the array unclosed (and the exit code not 0): a partial listing never parses as whole.
import type { Command, Writer } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { NEXT_AFTER_HEADER, type Entry } from '../../daemon/api/contract.js'
import { DEFAULT_LIST_PAGE_ENTRIES } from '../../daemon/limits.js'
import { MycelError } from '../../protocol/errors.js'
import { client, drained, wantsJson } from './shared.js'

export const ls: Command = {
  name: 'ls',
  summary: 'list live keys (optionally under PREFIX), in key order',
  positionals: [{ name: 'PREFIX', description: 'only keys starting with this', optional: true }],
  options: {
    limit: { type: 'string', value: 'N', description: 'stop after N keys' },
    after: { type: 'string', value: 'KEY', description: 'start after KEY (the last key of an earlier listing continues it)' }
  },
  details: `Keys come in order (by UTF-16 code unit: B before a before b), fetched from the daemon
${DEFAULT_LIST_PAGE_ENTRIES} at a time and printed as they arrive: one line per key (key, size, digest, props), or
with --json one JSON array of { key, digest, cid, size, props, author, stamp }.`,
  async run (ctx) {
    const prefix = ctx.positionals[0] ?? ''
    const max = parseLimit(ctx.options.limit)
    let after = ctx.options.after as string | undefined
    const api = await client(ctx)
    const print = wantsJson(ctx) ? jsonArray(ctx.out) : textLines(ctx.out)
    let printed = 0
    for (;;) {
      const limit = Math.min(DEFAULT_LIST_PAGE_ENTRIES, (max ?? Infinity) - printed)
      const query: Array<[string, string]> = [['prefix', prefix], ['limit', String(limit)]]
      if (after !== undefined) query.push(['after', after])
      const { body, headers } = await api.exchange<Entry[]>('GET', '/v1/keys', { query })
      const entries = body.slice(0, limit) // a daemon that ignored the limit still gives no more than asked
      for (const entry of entries) print.entry(entry)
      printed += entries.length
      await drained(ctx.out)
      const next = headers[NEXT_AFTER_HEADER]
      if (typeof next !== 'string' || printed >= (max ?? Infinity)) break
      after = decodeURIComponent(next)
    }
    print.end()
    return EXIT.OK
  }
}

function parseLimit (value: unknown): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!/^[0-9]+$/.test(String(value)) || !Number.isSafeInteger(n) || n < 1) throw MycelError.usage(`--limit must be a positive integer, not "${String(value)}"`)
  return n
}

interface Printer {
  entry: (e: Entry) => void
  end: () => void
}

function textLines (out: Writer): Printer {
  return {
    entry: e => {
      const props = Object.entries(e.props).map(([k, v]) => `${k}=${v}`).join(',')
      out.write(`${e.key}\t${e.size}\t${e.digest.slice(0, 19)}…${props === '' ? '' : '\t' + props}\n`)
    },
    end: () => {}
  }
}

/** One array, indented as JSON.stringify(all, null, 2) would: '[]' when empty. */
function jsonArray (out: Writer): Printer {
  let first = true
  return {
    entry: e => {
      out.write((first ? '[\n  ' : ',\n  ') + JSON.stringify(e, null, 2).replaceAll('\n', '\n  '))
      first = false
    },
    end: () => { out.write(first ? '[]\n' : '\n]\n') }
  }
}
