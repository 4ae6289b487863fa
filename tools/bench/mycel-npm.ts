// Two mycel sites serving the npm registry API for the npm benchmark: A, where
// the packages are published (`mycel daemon --npm ADDR`), and B, a member
// joined by invite (as every bench member is, tools/chaos/join.ts) that
// replicates on demand: B learns the packages from A's events at once but holds
// no tarball until one is asked of it, so an install from B fetches each
// tarball from A while serving it. That is the issue's "published at another
// site".

import { cli } from '../../test/helpers/daemons.js'
import { joinNode, startNode, type Node } from './procs.js'

const USER = 'bench'
const NPM_LISTEN = ['--npm', '127.0.0.1:0']

export interface NpmEndpoint {
  /** The registry URL, ending in /. */
  url: string
  /** The npm token `USER:SECRET` of a `mycel registry login-token` user. */
  token: string
}

export interface NpmSites {
  /** Site A, where the packages are published. */
  publish: NpmEndpoint
  /** Site B, where they are installed from. */
  install: NpmEndpoint
  stop: () => Promise<void>
}

/** Whether this build's daemon has `--npm` (the npm registry is being added; until then the benchmark skips mycel). */
export async function mycelServesNpm (): Promise<boolean> {
  const help = await cli(['daemon', '--help'])
  return /^\s*--npm\b/m.test(help.stdout)
}

export async function startNpmSites (): Promise<NpmSites> {
  const a = await startNode(NPM_LISTEN)
  let b: Node | undefined
  try {
    const publish = await endpoint(a, 'writer')
    b = (await joinNode(a, { replicate: 'on-demand' }, NPM_LISTEN)).node
    const install = await endpoint(b, 'reader')
    const [siteA, siteB] = [a, b]
    return { publish, install, stop: async () => { await Promise.all([siteA.destroy(), siteB.destroy()]) } }
  } catch (err) {
    await Promise.all([a.destroy(), b?.destroy()])
    throw err
  }
}

/** The node's npm URL (its ready info's `npm`) and a token of a new user with `role` there. */
async function endpoint (node: Node, role: 'reader' | 'writer'): Promise<NpmEndpoint> {
  const url = (node.ready as unknown as { npm?: string }).npm
  if (url === undefined) throw new Error(`the daemon in ${node.dir} was started with --npm but its ready info has no npm URL`)
  const login = await cli(['registry', 'login-token', USER, '--role', role, '--json', '--dir', node.dir])
  if (login.code !== 0) throw new Error(`mycel registry login-token ${USER} --role ${role}: exit ${String(login.code)}: ${login.stderr}`)
  const issued = JSON.parse(login.stdout) as { user: string, secret: string }
  return { url: url.endsWith('/') ? url : `${url}/`, token: `${issued.user}:${issued.secret}` }
}
