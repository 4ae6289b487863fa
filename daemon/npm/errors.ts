// npm registry errors: an HTTP status and a message, answered as the JSON body
// the npm CLI reads (`{ "error": "..." }`; npm prints it after the status,
// e.g. "npm error 403 403 Forbidden - PUT http://… - You cannot publish over
// the previously published versions: 1.0.0."). Handlers throw NpmError; the
// server turns it, and the container registry's auth errors, into a response
// in one place. Anything else is a bug or a backend failure: 500.

export class NpmError extends Error {
  readonly status: number
  readonly headers: Record<string, string>

  constructor (status: number, message: string, options: { headers?: Record<string, string>, cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = 'NpmError'
    this.status = status
    this.headers = options.headers ?? {}
  }

  static badRequest (message: string): NpmError { return new NpmError(400, message) }
  static forbidden (message: string): NpmError { return new NpmError(403, message) }
  static notFound (message = 'not found'): NpmError { return new NpmError(404, message) }
  static conflict (message: string): NpmError { return new NpmError(409, message) }
  static tooLarge (message: string): NpmError { return new NpmError(413, message) }
  static unavailable (message: string): NpmError { return new NpmError(503, message, { headers: { 'retry-after': '5' } }) }
}

export function isNpmError (err: unknown): err is NpmError {
  return err instanceof NpmError
}
