// `mycel registry`: the users of this site's container registry (the daemon's
// `--registry ADDR`, docs/registry.md). A user's secret is shown once, at
// issue: what `skopeo --creds USER:SECRET`, `podman login` or `docker login` take.
import { MycelError } from '../../protocol/errors.js'
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { client, printJson, wantsJson } from './shared.js'

interface Issued { user: string, role: string, secret: string, registry: string | null, npm?: string | null }
interface Users { registry: string | null, npm?: string | null, users: Array<{ user: string, role: string, createdAt: string }> }

const ACTIONS = ['login-token', 'users', 'remove'] as const

/** The .npmrc line that gives npm this token for that registry (npm matches it by host, port and path). */
export function npmrcAuthLine (npmUrl: string, user: string, secret: string): string {
  return `${npmUrl.replace(/^https?:/, '')}/:_authToken=${user}:${secret}`
}

export const registry: Command = {
  name: 'registry',
  summary: 'issue, list and remove the credentials of this site\'s container and npm registries',
  positionals: [
    { name: 'ACTION', description: 'login-token (issue a secret for --user with --role), users (list them) or remove (a --user)', choices: ACTIONS },
    { name: 'USER', description: 'the user (login-token, remove); or give --user', optional: true }
  ],
  options: {
    user: { type: 'string', value: 'USER', description: 'the user name (letters, digits, ".", "_", "@", "-")' },
    role: { type: 'string', value: 'ROLE', description: 'reader (pull), writer (also push) or admin (also delete); default reader', choices: ['reader', 'writer', 'admin'] }
  },
  details: `login-token prints USER:SECRET (alone when stdout is not a terminal), to pass as
--creds to skopeo or to podman/docker login, or as an npm _authToken (USER:SECRET) in .npmrc; a new token for a user replaces its old one. A credential never
gives more than this site may do: a reader site's "writer" cannot push. Secrets are stored hashed, in
<dir>/registry/credentials.json (0600). --json: { user, role, secret, registry, npm } / { registry, npm, users: [...] }.`,
  async run (ctx) {
    const [action, positional] = ctx.positionals
    const user = (ctx.options.user as string | undefined) ?? positional
    const api = await client(ctx)
    switch (action) {
      case 'login-token': {
        if (user === undefined) throw MycelError.usage('login-token needs a user: mycel registry login-token USER [--role ROLE]')
        const issued = await api.call<Issued>('POST', '/v1/registry/users', { query: [['user', user], ['role', String(ctx.options.role ?? 'reader')]] })
        if (wantsJson(ctx)) printJson(ctx, issued)
        else if (!ctx.isTTY) ctx.out.write(`${issued.user}:${issued.secret}\n`)
        else {
          const where = issued.registry === null ? 'this site (start the daemon with --registry ADDR to serve it)' : issued.registry.replace(/^http:\/\//, '')
          ctx.out.write(`${issued.user}:${issued.secret}\n\n${issued.role} credentials for ${where}; shown once. For example:\n` +
            `  skopeo copy --dest-creds ${issued.user}:${issued.secret} --dest-tls-verify=false oci:./image docker://${where}/app:1.0\n`)
          if (issued.npm != null) {
            ctx.out.write(`and for the npm registry at ${issued.npm}, in .npmrc:\n  registry=${issued.npm}/\n  ${npmrcAuthLine(issued.npm, issued.user, issued.secret)}\n`)
          }
        }
        return EXIT.OK
      }
      case 'users': {
        const list = await api.call<Users>('GET', '/v1/registry/users')
        if (wantsJson(ctx)) printJson(ctx, list)
        else {
          ctx.out.write(`registry: ${list.registry ?? 'not served (daemon --registry ADDR)'}\n`)
          ctx.out.write(`npm: ${list.npm ?? 'not served (daemon --npm ADDR)'}\n`)
          for (const u of list.users) ctx.out.write(`${u.user.padEnd(24)} ${u.role.padEnd(7)} since ${u.createdAt}\n`)
        }
        return EXIT.OK
      }
      case 'remove': {
        if (user === undefined) throw MycelError.usage('remove needs a user: mycel registry remove USER')
        const r = await api.call<{ user: string, removed: boolean }>('DELETE', '/v1/registry/users', { query: [['user', user]] })
        if (wantsJson(ctx)) printJson(ctx, r)
        else ctx.out.write(`removed ${r.user}\n`)
        return EXIT.OK
      }
      default:
        throw MycelError.usage(`unknown action ${String(action)}: one of ${ACTIONS.join(', ')}`)
    }
  }
}
