// Node flags some commands want and the `mycel` shebang cannot give. `mycel
// sim` allocates short-lived objects at a high rate (messages, batches,
// version-vector tuples for up to thousands of virtual nodes); with V8's
// default young generation (16 MiB semi-spaces) many of them survive a
// scavenge only to die in the old generation. 64 MiB semi-spaces cut a
// 500-node partition-heal run from 33 s to 28 s here (docs/sim.md). V8 reads
// the flag at start-up only, so the command re-runs itself once with it.

import { childProcess } from './builtins.js'
import { splitArgv } from './argv.js'

const FLAGS_BY_COMMAND: Record<string, string[]> = {
  sim: ['--max-semi-space-size=64']
}

/** Set in the child so that it never re-runs itself again. */
const GUARD = 'MYCEL_NODE_FLAGS_APPLIED'

/** The flags `argv`'s command wants that this process was not started with (none once re-run). */
export function missingNodeFlags (argv: string[], execArgv: string[], env: NodeJS.ProcessEnv): string[] {
  if (env[GUARD] === '1') return []
  const command = splitArgv(argv).command ?? ''
  const wanted = Object.hasOwn(FLAGS_BY_COMMAND, command) ? FLAGS_BY_COMMAND[command] as string[] : []
  return wanted.filter(flag => !execArgv.some(a => a.split('=')[0] === flag.split('=')[0]))
}

/** Runs this same command in a child node with the flags added; resolves to its exit code (re-raising a fatal signal). */
export async function rerunWithFlags (flags: string[], script: string, argv: string[]): Promise<number> {
  const child = childProcess().spawn(process.execPath, [...process.execArgv, ...flags, script, ...argv], { stdio: 'inherit', env: { ...process.env, [GUARD]: '1' } })
  return await new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      if (signal !== null) process.kill(process.pid, signal)
      resolve(code ?? 1)
    })
  })
}
