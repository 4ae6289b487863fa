// Reading a daemon's visibility events (GET /v1/events) in tests, the way
// `mycel watch` does: its recent backlog first, then what happens.
import { readFile } from 'node:fs/promises'
import type { Node } from './daemons.js'

/** The first visibility event of `type` the node reports (its recent backlog included). */
export async function firstEvent (n: Node, type: string): Promise<Record<string, unknown>> {
  const ready = n.ready
  if (ready === undefined) throw new Error('node not started')
  const token = (await readFile(`${n.dir}/api.token`, 'utf8')).trim()
  const ctl = new AbortController()
  const res = await fetch(`${ready.api}/v1/events?recent=200&type=${type}`, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal })
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  let text = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) throw new Error(`no ${type} event`)
      text += new TextDecoder().decode(value)
      const line = text.split('\n').find(l => l.trim() !== '')
      if (line !== undefined && text.includes('\n')) return JSON.parse(line) as Record<string, unknown>
    }
  } finally {
    ctl.abort()
  }
}
