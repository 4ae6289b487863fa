// `--report FILE`: the convergence chart as SVG (or, for a .html name, an HTML
// page with the chart and the text summary), written by the CLI.

import { formatMs } from './duration.js'
import type { SimReport } from './report.js'

const W = 720
const H = 320
const PAD = 48

export function reportSvg (r: SimReport): string {
  const pts = r.convergence
  const endMs = Math.max(pts.length > 0 ? (pts[pts.length - 1] as [number, number, number])[0] : 1, 1)
  const x = (t: number): number => PAD + (W - 2 * PAD) * t / endMs
  const y = (pct: number): number => H - PAD - (H - 2 * PAD) * pct / 100
  const line = pts.map(([t, p]) => `${x(t).toFixed(1)},${y(p).toFixed(1)}`).join(' ')
  const maxBacklog = Math.max(1, ...pts.map(p => p[2]))
  const line2 = pts.map(([t, , b]) => `${x(t).toFixed(1)},${y(100 * b / maxBacklog).toFixed(1)}`).join(' ')
  const hx = x(r.healAtMs).toFixed(1)
  const title = `mycel sim — seed ${r.seed}, ${r.scenario}, ${r.nodes} nodes: ${r.ok ? 'ok' : `${r.violations.length} violations`}`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${PAD}" y="24" font-size="14">${escape(title)}</text>`,
    `<line x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}" stroke="black"/>`,
    `<line x1="${PAD}" y1="${PAD}" x2="${PAD}" y2="${H - PAD}" stroke="black"/>`,
    `<text x="${PAD - 6}" y="${y(100) + 4}" text-anchor="end">100%</text>`,
    `<text x="${PAD - 6}" y="${y(0) + 4}" text-anchor="end">0%</text>`,
    `<text x="${PAD}" y="${H - PAD + 16}">0</text>`,
    `<text x="${W - PAD}" y="${H - PAD + 16}" text-anchor="end">${escape(formatMs(endMs))}</text>`,
    `<line x1="${hx}" y1="${PAD}" x2="${hx}" y2="${H - PAD}" stroke="#c00" stroke-dasharray="4 3"/>`,
    `<text x="${hx}" y="${PAD - 6}" fill="#c00" text-anchor="middle">heal ${escape(formatMs(r.healAtMs))}</text>`,
    `<polyline fill="none" stroke="#090" stroke-width="1.5" stroke-dasharray="6 2" points="${line2}"/>`,
    `<polyline fill="none" stroke="#06c" stroke-width="2" points="${line}"/>`,
    `<text x="${W / 2}" y="${H - 12}" text-anchor="middle"><tspan fill="#06c">— % of live nodes holding the final state</tspan>  <tspan fill="#090">- - writes not yet everywhere (max ${maxBacklog})</tspan></text>`,
    '</svg>'
  ].join('\n') + '\n'
}

export function reportHtml (r: SimReport, text: string): string {
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>mycel sim seed ${r.seed}</title></head><body>\n${reportSvg(r)}<pre>${escape(r.knobs.join('\n') + '\n' + text)}</pre>\n</body></html>\n`
}

function escape (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
