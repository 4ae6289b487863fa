// Node flags some commands want and the `mycel` shebang cannot give. V8 reads
// them at start-up only, so the command runs itself again once with them:
// replacing its own process image where Node can (process.execve, Node
// 22.15+: same pid, so signals, stdin and a supervisor's view are unchanged),
// else as a child process.
//
// `mycel sim` allocates short-lived objects at a high rate (messages, batches,
// version-vector tuples for up to thousands of virtual nodes); with V8's
// default young generation (16 MiB semi-spaces) many of them survive a
// scavenge only to die in the old generation. 64 MiB semi-spaces cut a
// 500-node partition-heal run from 33 s to 28 s here (docs/sim.md).
//
// `mycel daemon` is the other way round: its young objects are mostly buffers
// that die within a chunk (Noise ciphertext and plaintext, socket reads), and
// its memory is what operators watch. With 4 MiB semi-spaces an idle daemon
// is ~129 → ~108 MiB RSS and a fetcher's peak in a 1 GiB fetch ~202 → ~171 MiB
// (with heap-growth.ts pinning the growing factor while bytes move; docs/daemon.md,
// "Memory"). A daemon runs with the flag only where it can replace itself: as
// a child it would be a second process for a supervisor to signal.
//
// A size the user chose (on node's command line or in NODE_OPTIONS) is kept.

import { childProcess } from './builtins.js'
import { splitArgv } from './argv.js'

const FLAGS_BY_COMMAND: Record<string, string[]> = {
  sim: ['--max-semi-space-size=64'],
  daemon: ['--max-semi-space-size=4']
}

/** Commands that run with their flags only by replacing their process (execve), never as a child. */
const REPLACE_ONLY = new Set(['daemon'])

/** Set in the child so that it never re-runs itself again. */
const GUARD = 'MYCEL_NODE_FLAGS_APPLIED'

/** The flags `argv`'s command wants that this process was not started with (none once re-run). */
export function missingNodeFlags (argv: string[], execArgv: string[], env: NodeJS.ProcessEnv): string[] {
  if (env[GUARD] === '1') return []
  const command = splitArgv(argv).command ?? ''
  const wanted = Object.hasOwn(FLAGS_BY_COMMAND, command) ? FLAGS_BY_COMMAND[command] as string[] : []
  const chosen = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)]
  return wanted.filter(flag => !chosen.some(a => a.split('=')[0] === flag.split('=')[0]))
}

/** How to run `argv`'s command with its flags where this Node can or cannot replace its process. */
export function howToRerun (argv: string[], canReplace: boolean): 'replace' | 'child' | 'as-is' {
  if (canReplace) return 'replace'
  return REPLACE_ONLY.has(splitArgv(argv).command ?? '') ? 'as-is' : 'child'
}

/** Replaces this process with the same command and the flags added; returns only if the system refused. */
export function replaceWithFlags (flags: string[], script: string, argv: string[]): void {
  const execve = (process as unknown as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => void }).execve
  try {
    execve?.(process.execPath, [process.execPath, ...process.execArgv, ...flags, script, ...argv], { ...process.env, [GUARD]: '1' })
  } catch {
    // Refused (a seccomp profile, say): the command runs on in this process, with node's defaults.
  }
}

/** Whether this Node can replace its process image (process.execve: Node 22.15+, not on Windows). */
export function canReplaceProcess (): boolean {
  return typeof (process as unknown as { execve?: unknown }).execve === 'function'
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
