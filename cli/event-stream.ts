// Reads the daemon's live event stream (GET /v1/events, NDJSON) for
// `mycel watch`. The stream's first byte is the response head, sent once the
// daemon has subscribed: `onOpen` fires then, so nothing published after it
// can be missed. An `{"error":...}` line (the daemon dropped a reader that
// fell behind) becomes a thrown MycelError.

import { readFile } from 'node:fs/promises'
import { http } from './builtins.js'
import { join } from 'node:path'
import { MycelError, type ErrorCode } from '../protocol/errors.js'
import type { VisEvent } from '../daemon/api/contract.js'
import type { ApiClient } from './api-client.js'

/** One line of the stream longer than this is refused (events are small; this bounds a bad daemon). */
const MAX_LINE_CHARS = 1024 * 1024

export interface StreamOptions {
  query: Array<[string, string]>
  onOpen: () => void
  /** Return false to stop reading. */
  onEvent: (event: VisEvent) => boolean
  signal?: AbortSignal
}

/** Resolves 'stopped' when the reader stopped it (onEvent false, or the signal), 'ended' when the daemon ended the stream. */
export async function readEvents (client: ApiClient, options: StreamOptions): Promise<'stopped' | 'ended'> {
  const token = (await readFile(join(client.dir, 'api.token'), 'utf8')).trim()
  const url = new URL('/v1/events', client.url)
  for (const [k, v] of options.query) url.searchParams.append(k, v)
  return await new Promise<'stopped' | 'ended'>((resolve, reject) => {
    const req = http().request(url, { headers: { authorization: `Bearer ${token}` } }, res => {
      if ((res.statusCode ?? 0) >= 400) {
        let text = ''
        res.on('data', (c: Buffer) => { text += c.toString() })
        res.on('end', () => { reject(errorFrom(text, res.statusCode ?? 0)) })
        return
      }
      options.onOpen()
      let pending = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        pending += chunk
        let nl: number
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl)
          pending = pending.slice(nl + 1)
          if (line.trim() === '') continue
          const parsed = JSON.parse(line) as VisEvent | { error: { code: string, message: string } }
          if ('error' in parsed) { req.destroy(); reject(errorFrom(line, 503)); return }
          if (!options.onEvent(parsed)) { req.destroy(); resolve('stopped'); return }
        }
        if (pending.length > MAX_LINE_CHARS) { req.destroy(); reject(MycelError.tooLarge('event line', pending.length, MAX_LINE_CHARS)) }
      })
      res.on('end', () => { resolve('ended') })
      res.on('error', reject)
    })
    req.on('error', err => {
      if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') reject(new MycelError('CLOSED', `no mycel daemon answers at ${client.url}`))
      else reject(err)
    })
    options.signal?.addEventListener('abort', () => { req.destroy(); resolve('stopped') })
    req.end()
  })
}

function errorFrom (text: string, status: number): MycelError {
  try {
    const e = (JSON.parse(text) as { error: { code: ErrorCode, message: string } }).error
    return new MycelError(e.code, e.message)
  } catch {
    return new MycelError('INTERNAL', `the daemon answered ${status}: ${text.slice(0, 200)}`)
  }
}
