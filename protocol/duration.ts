// The one duration parser. Every duration a person types reads through it: `fetch`/`cat --wait`,
// `publish --timeout`, `invite --ttl`, `sim --latency`/`--duration`, the chaos tool's `--duration`, the
// API's `wait=`, and the config file's `…Ms` fields when given as a string. One rule: a number (decimals
// allowed) with an optional unit ms, s, m, h or d; a bare number means seconds. It lives in the core
// because it is pure and the core is the one room the CLI, the daemon and the simulator all import.
// Documented once, in docs/daemon.md ("Durations").
import { MycelError } from './errors.js'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** What every error names as the accepted form. */
export const DURATION_HINT = 'a duration such as 500ms, 30s, 2m, 24h or 7d (a bare number is seconds)'

/** `text` in whole milliseconds (rounded); a USAGE error naming `what` if it is not a duration. */
export function parseDurationMs (text: string, what = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text)
  if (m === null) throw MycelError.usage(`${what} must be ${DURATION_HINT}, not '${text}'`)
  const ms = Math.round(Number(m[1]) * (UNIT_MS[m[2] ?? 's'] as number))
  if (!Number.isSafeInteger(ms)) throw MycelError.usage(`${what} '${text}' is too large`)
  return ms
}

/** As parseDurationMs, and within [minMs, maxMs] (inclusive), with a USAGE error saying so. */
export function parseDurationInRange (text: string, what: string, minMs: number, maxMs: number): number {
  const ms = parseDurationMs(text, what)
  if (ms < minMs || ms > maxMs) throw MycelError.usage(`${what} must be between ${formatDuration(minMs)} and ${formatDuration(maxMs)}, not '${text}'`)
  return ms
}

/** The shortest exact text for a whole number of ms in the largest unit that divides it (86400000 → 1d). */
export function formatDuration (ms: number): string {
  if (ms === 0) return '0s'
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] as number
    if (ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
