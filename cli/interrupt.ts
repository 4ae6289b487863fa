// Ctrl-C (or SIGTERM) in the middle of long work: by default Node dies at
// once, leaving whatever the command had half made (a fetch's hidden temp
// file) and a progress line with no end of line. A command that has
// something to undo installs this for as long as it has.

import type { Writer } from './command.js'

const EXIT_BY_SIGNAL = { SIGINT: 130, SIGTERM: 143 } as const

/**
 * Until the returned function is called, SIGINT or SIGTERM runs `cleanup` (synchronously: the process
 * exits right after), writes `note` on a line of its own on stderr, and exits with 130 or 143, the codes
 * a shell reports for a process that signal killed.
 */
export function onInterrupt (err: Writer, cleanup: () => void, note: string, exit: (code: number) => never = code => process.exit(code)): () => void {
  const handlers = Object.entries(EXIT_BY_SIGNAL).map(([signal, code]) => {
    const handler = (): void => {
      try { cleanup() } finally {
        err.write(`\n${note}\n`)
        exit(code)
      }
    }
    process.once(signal, handler)
    return [signal, handler] as const
  })
  return () => { for (const [signal, handler] of handlers) process.off(signal, handler) }
}
