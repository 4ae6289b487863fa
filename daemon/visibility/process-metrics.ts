// The process and runtime metric families — process_* (CPU, resident memory, open fds, start time) and
// nodejs_* (event-loop lag, heap spaces, GC, active handles) — from prom-client's default collectors,
// so dashboards made for any Node service work on a daemon too. They describe the process, not one
// federation or one Daemon instance, so the process that runs a daemon builds them once
// (cli/commands/daemon.ts, like the heap-growth governor) and the daemon's `/metrics` appends their
// text to its own registry's (metrics.ts) at scrape time. Their names never collide: ours are mycel_*.
import { collectDefaultMetrics, Registry } from 'prom-client'

export interface ProcessMetrics {
  /** Prometheus text of the process_* and nodejs_* families, read now. */
  render: () => Promise<string>
}

export function processMetrics (): ProcessMetrics {
  const register = new Registry()
  collectDefaultMetrics({ register })
  return { render: async () => await register.metrics() }
}
