// Test-only switches, read from the environment so no config file or flag
// offers them to users. This is the one reader of MYCEL_TEST_* variables;
// the daemon calls it once at start and hands each part its switch:
//   MYCEL_TEST_LINK_FAULTS=<file>    cut links to the peers listed in the file (link-faults.ts; the chaos harness)
//   MYCEL_TEST_CORRUPT_CHUNKS=1      a holder flips a byte in every blob chunk it serves (a liar)
//   MYCEL_TEST_SERVE_DELAY_MS=<ms>   a holder waits before each chunk (to slow a fetcher down), at most 10 s
//   MYCEL_TEST_SERVE_GATE=<file>     a holder sends chunk i only once the file holds a number above i (serve-gate.ts)
// Unset in production: every switch is then off.

export interface TestSwitches {
  /** The link-fault control file (link-faults.ts). */
  linkFaultsFile?: string
  corruptChunks?: boolean
  serveDelayMs?: number
  /** The serve gate's control file (serve-gate.ts). */
  serveGateFile?: string
}

export const LINK_FAULTS_ENV = 'MYCEL_TEST_LINK_FAULTS'

export function readTestSwitches (env: NodeJS.ProcessEnv): TestSwitches {
  const delay = Number(env.MYCEL_TEST_SERVE_DELAY_MS ?? '0')
  const file = env[LINK_FAULTS_ENV]
  const gate = env.MYCEL_TEST_SERVE_GATE
  return {
    linkFaultsFile: file === undefined || file === '' ? undefined : file,
    corruptChunks: env.MYCEL_TEST_CORRUPT_CHUNKS === '1',
    serveDelayMs: Number.isFinite(delay) && delay > 0 ? Math.min(delay, 10_000) : undefined,
    serveGateFile: gate === undefined || gate === '' ? undefined : gate
  }
}
