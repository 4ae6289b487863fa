// The convergence picture in the terminal: % of live nodes holding the final
// state over virtual time, one column per time slice, with the heal marked.

import { formatMs } from './duration.js'

export interface ChartOptions {
  width?: number
  height?: number
  /** Top of the y axis; default 100 (a percentage) or, with unit '', the largest value. */
  maxY?: number
  unit?: string
}

export function asciiChart (points: Array<[number, number]>, healAtMs: number, o: ChartOptions = {}): string[] {
  if (points.length === 0) return []
  const width = o.width ?? 60
  const height = o.height ?? 6
  const unit = o.unit ?? '%'
  const maxY = o.maxY ?? (unit === '%' ? 100 : Math.max(1, ...points.map(p => p[1])))
  const endMs = Math.max((points[points.length - 1] as [number, number])[0], 1)
  const cols = new Array<number>(width).fill(-1)
  for (const [t, pct] of points) {
    const x = Math.min(width - 1, Math.floor(t / endMs * (width - 1)))
    cols[x] = Math.max(cols[x] as number, pct)
  }
  // Carry the last value across columns with no sample.
  let last = 0
  for (let x = 0; x < width; x++) {
    if ((cols[x] as number) < 0) cols[x] = last
    else last = cols[x] as number
  }
  const lines: string[] = []
  for (let row = height; row >= 1; row--) {
    const threshold = (row - 0.5) * maxY / height
    const top = `${Math.round(maxY)}${unit}`
    const label = row === height ? top : row === 1 ? `0${unit}` : ''
    lines.push(`${label.padStart(6)} |${cols.map(v => (v >= threshold && v > 0 ? '#' : ' ')).join('')}`)
  }
  const healX = Math.min(width - 1, Math.floor(healAtMs / endMs * (width - 1)))
  lines.push(`       +${'-'.repeat(width)}`)
  lines.push(`        ${' '.repeat(healX)}^ heal at ${formatMs(healAtMs)}`)
  lines.push(`        0${' '.repeat(Math.max(1, width - 1 - formatMs(endMs).length))}${formatMs(endMs)}`)
  return lines
}
