// Structured logs: one JSON object per line on stderr with ts, level, msg and
// fields. Stdout stays free for the command's own output (the daemon's ready
// line, --json answers). A Logger is an instance, never a module global, so
// tests can capture one and two daemons in one process log apart.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export type LogFields = Record<string, unknown>

export interface LoggerInit {
  /** Lowest level written. Default 'info'. */
  level?: LogLevel
  /** Where lines go. Default process.stderr. */
  write?: (line: string) => void
  /** Fields on every line (e.g. the node's peer id). */
  base?: LogFields
  /** Wall clock for `ts`. Default Date.now. */
  now?: () => number
}

export function isLogLevel (value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value)
}

export class Logger {
  readonly level: LogLevel
  private readonly write: (line: string) => void
  private readonly base: LogFields
  private readonly now: () => number

  constructor (init: LoggerInit = {}) {
    this.level = init.level ?? 'info'
    this.write = init.write ?? (line => { process.stderr.write(line) })
    this.base = init.base ?? {}
    this.now = init.now ?? Date.now
  }

  enabled (level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level]
  }

  log (level: LogLevel, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return
    const line = { ts: new Date(this.now()).toISOString(), level, msg, ...this.base, ...serializable(fields) }
    this.write(JSON.stringify(line, replacer) + '\n')
  }

  debug (msg: string, fields?: LogFields): void { this.log('debug', msg, fields) }
  info (msg: string, fields?: LogFields): void { this.log('info', msg, fields) }
  warn (msg: string, fields?: LogFields): void { this.log('warn', msg, fields) }
  error (msg: string, fields?: LogFields): void { this.log('error', msg, fields) }

  /** A logger whose lines all carry `fields` too. */
  child (fields: LogFields): Logger {
    return new Logger({ level: this.level, write: this.write, base: { ...this.base, ...fields }, now: this.now })
  }

  /** A logger that writes nothing (parts built without one, e.g. a mesh in a test). */
  static silent (): Logger {
    return new Logger({ level: 'error', write: () => {} })
  }
}

/** One line for an error in a log field (the network's logs name errors this way). */
export function errorText (err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

/** Errors become { message, code }; everything else as is. */
function serializable (fields: LogFields | undefined): LogFields {
  if (fields === undefined) return {}
  const out: LogFields = {}
  for (const [k, v] of Object.entries(fields)) {
    out[k] = v instanceof Error ? { message: v.message, code: (v as { code?: unknown }).code, name: v.name } : v
  }
  return out
}

function replacer (_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex')
  return value
}
