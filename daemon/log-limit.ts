// Log lines a peer can cause, rate-limited per offender (issue #17: one push of 15 000 badly signed
// events wrote ~35 000 lines). The first line of a kind about an offender is written at once; further
// ones within `intervalMs` are counted, and when the interval ends one summary line says how many
// there were (and of which reasons). An offender that keeps at it gets one line per interval; one
// that stops is forgotten, and its next line is written at once again. At most `maxOffenders` are
// tracked per limiter; beyond, lines about new offenders are only counted, under "others".

import type { LogFields, Logger, LogLevel } from './log.js'
import { LOG_LIMIT_INTERVAL_MS, LOG_LIMIT_MAX_OFFENDERS } from './limits.js'

export interface OffenderLogInit {
  intervalMs?: number
  maxOffenders?: number
  /** Monotonic ms. Default performance.now. */
  now?: () => number
  /** Told of every line counted instead of written (the shed ledger). */
  onSuppressed?: (offender: string) => void
}

interface Window {
  level: LogLevel
  msg: string
  offender: string
  startedMs: number
  suppressed: number
  reasons: Map<string, number>
}

/** Reasons kept per summary line; the rest are summed as "other". */
const MAX_REASONS = 8
const OTHERS = '(others)'

export class OffenderLog {
  /** Lines not written (counted into summaries), all offenders together. */
  suppressed = 0
  private readonly log: Logger
  private readonly intervalMs: number
  private readonly maxOffenders: number
  private readonly now: () => number
  private readonly onSuppressed: ((offender: string) => void) | undefined
  private readonly windows = new Map<string, Window>()
  private timer: ReturnType<typeof setInterval> | undefined

  constructor (log: Logger, init: OffenderLogInit = {}) {
    this.log = log
    this.intervalMs = init.intervalMs ?? LOG_LIMIT_INTERVAL_MS
    this.maxOffenders = init.maxOffenders ?? LOG_LIMIT_MAX_OFFENDERS
    this.now = init.now ?? (() => performance.now())
    this.onSuppressed = init.onSuppressed
  }

  /** Writes, or counts, a line about `offender`; `reason` (if any) is tallied in the summary. */
  write (level: LogLevel, msg: string, offender: string, fields: LogFields = {}, reason?: string): void {
    if (!this.log.enabled(level)) return
    const now = this.now()
    const key = `${msg}\u0000${offender}`
    let w = this.windows.get(key)
    if (w !== undefined && now - w.startedMs >= this.intervalMs) {
      this.summarise(w)
      w = undefined
    }
    if (w === undefined) {
      if (this.windows.size >= this.maxOffenders) {
        this.count(this.othersWindow(level, msg, now), reason)
        return
      }
      this.windows.set(key, { level, msg, offender, startedMs: now, suppressed: 0, reasons: new Map() })
      this.ensureTimer()
      this.log.log(level, msg, fields)
      return
    }
    this.count(w, reason)
  }

  warn (msg: string, offender: string, fields?: LogFields, reason?: string): void {
    this.write('warn', msg, offender, fields, reason)
  }

  /** Writes the summaries of every window that has ended (the timer calls it; tests may too). */
  flush (all = false): void {
    const now = this.now()
    for (const [key, w] of this.windows) {
      if (!all && now - w.startedMs < this.intervalMs) continue
      this.summarise(w)
      this.windows.delete(key)
    }
    if (this.windows.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }

  /** Writes what is pending and stops the timer. */
  stop (): void {
    this.flush(true)
  }

  private count (w: Window, reason: string | undefined): void {
    w.suppressed++
    this.suppressed++
    this.onSuppressed?.(w.offender)
    if (reason === undefined) return
    const r = w.reasons.has(reason) || w.reasons.size < MAX_REASONS ? reason : OTHERS
    w.reasons.set(r, (w.reasons.get(r) ?? 0) + 1)
  }

  private othersWindow (level: LogLevel, msg: string, now: number): Window {
    const key = `${msg}\u0000${OTHERS}`
    let w = this.windows.get(key)
    if (w === undefined) {
      // One slot past the bound, per message: the summary of everyone not tracked.
      w = { level, msg, offender: OTHERS, startedMs: now, suppressed: 0, reasons: new Map() }
      this.windows.set(key, w)
      this.ensureTimer()
    }
    return w
  }

  private summarise (w: Window): void {
    this.windows.delete(`${w.msg}\u0000${w.offender}`)
    if (w.suppressed === 0) return
    const fields: LogFields = { offender: w.offender, more: w.suppressed, overMs: Math.round(this.now() - w.startedMs) }
    if (w.reasons.size > 0) fields.reasons = Object.fromEntries(w.reasons)
    this.log.log(w.level, `${w.msg} (repeated; summary)`, fields)
  }

  private ensureTimer (): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => { this.flush() }, this.intervalMs)
    this.timer.unref()
  }
}
