// How the simulator's reports show a duration (`150ms`, `2.50s`, `1.2m`). Parsing is protocol/duration.ts,
// the one parser every flag reads through.

export function formatMs (ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`
  return `${(ms / 60_000).toFixed(1)}m`
}
