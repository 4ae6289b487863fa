// One `\r`-rewritten status line on stderr for long work (a publish's upload,
// a fetch's transfer), drawn only on a terminal: scripts and pipes get
// nothing of the kind. Redrawn at most every PROGRESS_EVERY_MS, erased at the
// end so the command's own answer starts on a clean line.

import type { Writer } from './command.js'

export const PROGRESS_EVERY_MS = 250
const BAR_WIDTH = 24

export class ProgressLine {
  private last = ''
  private drawnMs = 0

  constructor (private readonly err: Writer, private readonly now: () => number = Date.now) {}

  /** Draws `text` now if `force`, else only if the last draw is PROGRESS_EVERY_MS old. */
  draw (text: string, force = false): void {
    const t = this.now()
    if (!force && t - this.drawnMs < PROGRESS_EVERY_MS) return
    this.drawnMs = t
    // Pad over what a longer previous line left behind.
    this.err.write('\r' + text.padEnd(this.last.length))
    this.last = text
  }

  clear (): void {
    if (this.last !== '') this.err.write('\r' + ' '.repeat(this.last.length) + '\r')
    this.last = ''
  }
}

/**
 * `[#####.....] 42%  10.0/24.0 MiB  35.1 MB/s` from bytes done, total and elapsed seconds; with no total
 * (a publish from stdin), `10.0 MiB  35.1 MB/s`.
 */
export function transferText (done: number, total: number | undefined, seconds: number): string {
  const rate = `${(done / Math.max(0.001, seconds) / 1e6).toFixed(1)} MB/s`
  if (total === undefined) return `${mib(done)} MiB  ${rate}`
  const pct = total === 0 ? 100 : Math.min(100, Math.floor((done / total) * 100))
  const bar = '#'.repeat(Math.floor((pct / 100) * BAR_WIDTH)).padEnd(BAR_WIDTH, '.')
  return `[${bar}] ${pct}%  ${mib(done)}/${mib(total)} MiB  ${rate}`
}

function mib (n: number): string {
  return (n / 1024 / 1024).toFixed(1)
}
