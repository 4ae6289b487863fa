// The mesh logs through an injected function so the daemon decides format and destination.
export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void

export const silentLog: LogFn = () => {}

/** One line for an error in a log field. */
export function errorText (err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}
