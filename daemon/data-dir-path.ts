// Where a node's data dir is: `--dir`, else $MYCEL_DIR, else ~/.mycel. Its own small module because
// every CLI command needs it, and the commands that only talk to a running daemon should not load
// the daemon's config parser (and all it imports) to find it.
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export function resolveDataDir (flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag !== undefined && flag !== '') return resolve(flag)
  if (env.MYCEL_DIR !== undefined && env.MYCEL_DIR !== '') return resolve(env.MYCEL_DIR)
  return join(homedir(), '.mycel')
}
