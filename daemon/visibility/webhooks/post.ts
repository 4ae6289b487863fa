// One delivery attempt: a POST of the stored body with the configured headers
// and the Standard Webhooks ones (signing.ts), under a deadline kept by the
// injected timers. A 2xx answer is success; anything else — another status,
// a redirect (never followed: it could lead to another host), a refused
// connection, no answer in time — is a failure, described in a few words that
// never carry the URL (its path or query may hold a token).

import { standardHeaders } from './signing.js'
import { MAX_TIMER_MS, type Timers } from './timers.js'

export interface AttemptRequest {
  url: string
  id: string
  body: string
  /** Custom headers from the config. */
  headers: Record<string, string>
  /** HMAC key, when the webhook has a secret. */
  key: Uint8Array | undefined
  timeoutMs: number
}

export interface AttemptComponents {
  fetch: typeof fetch
  timers: Timers
  nowMs: () => number
  /** Aborted when the daemon stops: the attempt ends at once and does not count. */
  stopped: AbortSignal
}

export type AttemptResult = { ok: true, status: number } | { ok: false, status: number | null, error: string }

export async function attempt (req: AttemptRequest, c: AttemptComponents): Promise<AttemptResult> {
  const deadline = new AbortController()
  const cancel = c.timers.after(Math.min(req.timeoutMs, MAX_TIMER_MS), () => { deadline.abort() })
  try {
    const res = await c.fetch(req.url, {
      method: 'POST',
      headers: {
        ...req.headers,
        'content-type': 'application/json',
        'user-agent': 'mycel-webhook',
        ...standardHeaders(req.id, c.nowMs(), req.body, req.key)
      },
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.any([deadline.signal, c.stopped])
    })
    await res.body?.cancel().catch(() => {})
    return res.status >= 200 && res.status < 300 ? { ok: true, status: res.status } : { ok: false, status: res.status, error: `HTTP ${res.status}` }
  } catch (err) {
    if (deadline.signal.aborted) return { ok: false, status: null, error: `timeout after ${req.timeoutMs} ms` }
    return { ok: false, status: null, error: problemText(err, req.url) }
  } finally {
    cancel()
  }
}

/** `ECONNREFUSED`, `ENOTFOUND`, … from undici's "fetch failed" and its cause; the URL never. */
function problemText (err: unknown, url: string): string {
  const cause = (err as { cause?: { code?: unknown, message?: unknown } }).cause
  const text = typeof cause?.code === 'string' ? cause.code : String((cause?.message ?? (err as Error).message) ?? err)
  return text.split(url).join('<url>').slice(0, 200)
}
