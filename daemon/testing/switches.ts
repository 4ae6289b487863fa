// Test-only switches, read from the environment so no config file or flag
// offers them to users: integration tests use them to make a holder lie
// (flip a byte in every chunk it serves) or serve slowly (to stop a fetcher
// midway). Unset in production.

export interface BlobTestSwitches {
  corruptChunks?: boolean
  serveDelayMs?: number
}

export function blobTestSwitches (env: NodeJS.ProcessEnv): BlobTestSwitches {
  const delay = Number(env.MYCEL_TEST_SERVE_DELAY_MS ?? '0')
  return {
    corruptChunks: env.MYCEL_TEST_CORRUPT_CHUNKS === '1',
    serveDelayMs: Number.isFinite(delay) && delay > 0 ? Math.min(delay, 10_000) : undefined
  }
}
