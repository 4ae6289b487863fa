// Tests drive real tools from Debian (skopeo, docker-registry). They are never
// skipped: a missing tool is installed with apt-get when we are root (as on CI
// and the project's machines), and otherwise the test fails saying what to
// install.

import { execFileSync } from 'node:child_process'

function onPath (binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** The path of `binary`, installing Debian package `pkg` first if it is missing. Throws with a clear message when it cannot. */
export function ensureTool (binary: string, pkg: string): string {
  if (!onPath(binary)) {
    if (process.getuid?.() !== 0) {
      throw new Error(`${binary} is not installed and this is not root: run \`apt-get install -y ${pkg}\` (the tests need the real ${binary})`)
    }
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    try {
      execFileSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'pipe', env, timeout: 600_000 })
    } catch {
      // The package lists may be missing or stale on a fresh machine.
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'pipe', env, timeout: 600_000 })
      execFileSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'pipe', env, timeout: 600_000 })
    }
    if (!onPath(binary)) throw new Error(`installed Debian package ${pkg} but ${binary} is still not on PATH`)
  }
  return execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim()
}
