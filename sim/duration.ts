// `100ms`, `1.5s`, `2m`, `1h`, or a bare number of milliseconds.
import { MycelError } from '../protocol/errors.js'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

export function parseDurationMs (text: string, what = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text)
  if (m === null) throw MycelError.usage(`${what} '${text}' is not a duration (try 100ms, 20s, 2m)`)
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] as number)
  if (!Number.isFinite(ms)) throw MycelError.usage(`${what} '${text}' is too large`)
  return Math.round(ms)
}

export function formatMs (ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`
  return `${(ms / 60_000).toFixed(1)}m`
}
