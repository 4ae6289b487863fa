// What a site scenario reports: figures (measured), checks (correctness: nothing lost, every site got
// there, nothing left behind) and targets (performance figures against the goals). The harness
// prints one JSON document and exits non-zero when a check failed, or with --strict a target missed:
// CI asserts the checks on a busy machine; targets are measured on a quiet one (BENCHMARKS.md).

export interface Check {
  name: string
  ok: boolean
  value: number | string
  target: string
}

export interface ScenarioResult {
  figures: Record<string, unknown>
  checks: Check[]
  targets?: Check[]
}

export function atMost (name: string, value: number, max: number, unit = ''): Check {
  return { name, ok: value <= max, value: round(value), target: `<= ${max}${unit}` }
}

export function equals (name: string, value: number, expected: number): Check {
  return { name, ok: value === expected, value, target: `= ${expected}` }
}

export function round (x: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** tc's rate syntax (bit, kbit, mbit, gbit; decimal units) in bits per second. */
export function rateBits (rate: string): number {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$/i.exec(rate)
  if (m === null) throw new Error(`--uplink ${rate}: use tc's syntax, e.g. 100mbit, 500kbit, 1gbit`)
  const unit = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 }[m[2].toLowerCase() as 'bit']
  return Number(m[1]) * unit
}
