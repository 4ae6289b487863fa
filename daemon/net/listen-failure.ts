// libp2p reports a listen address it could not bind as UnsupportedListenAddressesError, whose message
// is advice meant for libp2p's own users (`transportManager.faultTolerance`) followed by each address's
// error with its stack. A person starting mycel needs the address and the reason, and what to do.

const ADDRESS_ERROR = /^\s*(\/\S+?): (?:\w*Error: )?(.+)$/m

/** One line for a failed libp2p start: `cannot listen on ADDR: reason` (with a hint for a port in use), else the error as it is. */
export function listenFailureText (err: unknown, listen: string[]): string {
  const message = err instanceof Error ? err.message : String(err)
  const m = ADDRESS_ERROR.exec(message)
  if (m === null) return `could not start libp2p on ${listen.join(', ')}: ${err instanceof Error ? `${err.name}: ${err.message}` : message}`
  const [, addr, reason] = m as unknown as [string, string, string]
  const hint = /EADDRINUSE/.test(reason) ? ' (another process has that port: stop it or choose another with --listen)' : ''
  return `cannot listen on ${addr}: ${reason.trim()}${hint}`
}
