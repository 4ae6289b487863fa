// Prometheus metrics for `GET /metrics` on the local API, in the text
// exposition format 0.0.4: the mycel_* families. A deliberately small registry
// rather than prom-client's for these: they are mostly mirrors of counters the
// parts already keep (the core's stats(), the mesh's stats()), read at scrape
// time by collect hooks, plus one histogram (blob fetch durations) and
// per-protocol byte counters the blob layer feeds. One registry per daemon's
// federation (no module state), so two daemons in one process never mix. The
// process_* and nodejs_* families are prom-client's default collectors
// (process-metrics.ts), appended by the route (api/metrics-route.ts).

type Labels = Record<string, string>

interface Family {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'histogram'
  /** label set (canonical text) → value. */
  values: Map<string, number>
  buckets?: number[]
  /** histogram: label set → per-bucket counts, sum, count. */
  hist?: Map<string, { counts: number[], sum: number, count: number }>
}

/** Blob fetch durations in seconds: from a small local blob (ms) to a large transfer (minutes). */
export const FETCH_SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800]

/** Label sets per family; peers come and go, so per-peer gauges are reset at each collect. */
const MAX_SERIES_PER_FAMILY = 10_000

export class MetricsRegistry {
  private readonly families = new Map<string, Family>()
  private readonly collectors: Array<() => void> = []

  counter (name: string, help: string): Metric { return this.family(name, help, 'counter') }
  gauge (name: string, help: string): Metric { return this.family(name, help, 'gauge') }

  histogram (name: string, help: string, buckets: number[]): Histogram {
    const f = this.define(name, help, 'histogram')
    f.buckets = [...buckets].sort((a, b) => a - b)
    f.hist = new Map()
    return {
      observe: (value: number, labels: Labels = {}) => {
        const key = labelText(labels)
        let h = f.hist?.get(key)
        if (h === undefined) {
          if ((f.hist?.size ?? 0) >= MAX_SERIES_PER_FAMILY) return
          h = { counts: f.buckets?.map(() => 0) ?? [], sum: 0, count: 0 }
          f.hist?.set(key, h)
        }
        f.buckets?.forEach((b, i) => { if (value <= b) (h as { counts: number[] }).counts[i]++ })
        h.sum += value
        h.count++
      }
    }
  }

  /** Runs before every render: sets mirrored counters and gauges from their sources. */
  onCollect (fn: () => void): void { this.collectors.push(fn) }

  render (): string {
    for (const fn of this.collectors) fn()
    const out: string[] = []
    for (const f of this.families.values()) {
      out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${f.name} ${f.type}`)
      if (f.type !== 'histogram') {
        for (const [labels, value] of f.values) out.push(`${f.name}${labels} ${num(value)}`)
        continue
      }
      for (const [labels, h] of f.hist ?? []) {
        const inner = labels === '' ? '' : labels.slice(1, -1) + ','
        f.buckets?.forEach((b, i) => out.push(`${f.name}_bucket{${inner}le="${num(b)}"} ${h.counts[i]}`))
        out.push(`${f.name}_bucket{${inner}le="+Inf"} ${h.count}`, `${f.name}_sum${labels} ${num(h.sum)}`, `${f.name}_count${labels} ${h.count}`)
      }
    }
    return out.join('\n') + '\n'
  }

  private family (name: string, help: string, type: 'counter' | 'gauge'): Metric {
    const f = this.define(name, help, type)
    const put = (labels: Labels, v: number): void => {
      const key = labelText(labels)
      if (!f.values.has(key) && f.values.size >= MAX_SERIES_PER_FAMILY) return
      f.values.set(key, v)
    }
    return {
      inc: (labels = {}, by = 1) => { put(labels, (f.values.get(labelText(labels)) ?? 0) + by) },
      set: (value, labels = {}) => { put(labels, value) },
      reset: () => { f.values.clear() }
    }
  }

  private define (name: string, help: string, type: Family['type']): Family {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`bad metric name ${name}`)
    if (this.families.has(name)) throw new Error(`metric ${name} defined twice`)
    const f: Family = { name, help, type, values: new Map() }
    this.families.set(name, f)
    return f
  }
}

export interface Metric {
  inc: (labels?: Labels, by?: number) => void
  /** For counters: mirror a total kept elsewhere (it must only grow). */
  set: (value: number, labels?: Labels) => void
  /** Forget every label set (per-peer gauges, before re-filling them). */
  reset: () => void
}

export interface Histogram {
  observe: (value: number, labels?: Labels) => void
}

function labelText (labels: Labels): string {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))
  if (entries.length === 0) return ''
  return '{' + entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',') + '}'
}

function num (v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(v)
}
