// Runs the system tools the site harness drives (ip, tc, nft, sysctl) and turns a failure into one
// error that names the command and what it printed: a half-built topology is torn down by the caller.

import { execFile } from 'node:child_process'

export interface RunOptions {
  /** Written to the command's stdin (e.g. an nft ruleset for `nft -f -`). */
  input?: string
}

export async function run (command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return await new Promise((resolve, reject) => {
    const child = execFile(command, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || err.message}`))
      else resolve(stdout)
    })
    if (options.input !== undefined) child.stdin?.end(options.input)
  })
}

/** The same, for teardown: a step that fails (already gone) must not stop the next one. */
export async function runQuietly (command: string, args: string[]): Promise<void> {
  try { await run(command, args) } catch { /* already gone */ }
}

/** `ip -n NS ...`: an ip command inside a namespace. */
export async function ipIn (ns: string, ...args: string[]): Promise<string> {
  return await run('ip', ['-n', ns, ...args])
}

/** A command run inside a namespace (`ip netns exec NS ...`). */
export async function execIn (ns: string, command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return await run('ip', ['netns', 'exec', ns, command, ...args], options)
}
