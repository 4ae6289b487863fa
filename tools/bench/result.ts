// The common shape of every benchmark: a module exports a Benchmark whose
// run() returns named results. `npm run bench -- --json` prints them as
// `{ results: [{ name, value, unit }, …] }`; a benchmark that cannot run yet
// reports `skipped` with the reason instead of a number.

export interface BenchResult {
  name: string
  /** null when skipped. */
  value: number | null
  unit: string
  /** The target, e.g. '>= 0.8', when it sets one. */
  target?: string
  /** Whether the value meets the target (set by the harness when both are known). */
  met?: boolean
  /** Why there is no value. */
  skipped?: string
  /** Parameters behind the figure (sizes, requests in flight). */
  note?: string
}

export interface BenchContext {
  /** A smaller version of each benchmark, for a quick look (not for the record). */
  quick: boolean
  /** Progress lines on stderr. */
  say: (line: string) => void
}

export interface Benchmark {
  id: string
  title: string
  /** The names it reports, so a benchmark that throws is still listed (as skipped). */
  names: string[]
  /** Runs only when named in --only (too long for the default run). */
  optIn?: boolean
  run: (ctx: BenchContext) => Promise<BenchResult[]>
}

export function result (name: string, value: number, unit: string, extra: Partial<BenchResult> = {}): BenchResult {
  return { name, value: round(value), unit, ...extra }
}

export function skipped (names: string[], reason: string, unit = ''): BenchResult[] {
  return names.map(name => ({ name, value: null, unit, skipped: reason }))
}

/** Three significant digits are all a noisy shared machine supports. */
function round (x: number): number {
  if (!Number.isFinite(x) || x === 0) return x
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))))
  return Number(x.toFixed(Math.min(digits, 6)))
}

export const MIB = 1024 * 1024
