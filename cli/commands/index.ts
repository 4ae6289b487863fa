// The command registry: each command's name and how to load its module. Only the command being run is
// loaded (with what it imports): loading all twenty cost ~36 ms of every `mycel` invocation, a quarter
// of `mycel status` (issue #22, cli-start-ms). The top-level help and shell completion, which need every
// command's summary or options, load them all. `completion` is handed the table itself.
import type { Command } from '../command.js'

const table: Record<string, () => Promise<Command>> = {
  daemon: async () => (await import('./daemon.js')).daemon,
  invite: async () => (await import('./invite.js')).invite,
  join: async () => (await import('./join.js')).join,
  publish: async () => (await import('./publish.js')).publish,
  fetch: async () => (await import('./fetch.js')).fetch,
  cat: async () => (await import('./cat.js')).cat,
  ls: async () => (await import('./ls.js')).ls,
  rm: async () => (await import('./rm.js')).rm,
  status: async () => (await import('./status.js')).status,
  peers: async () => (await import('./peers.js')).peers,
  sites: async () => (await import('./sites.js')).sites,
  members: async () => (await import('./members.js')).members,
  revoke: async () => (await import('./revoke.js')).revoke,
  where: async () => (await import('./where.js')).where,
  rules: async () => (await import('./rules.js')).rules,
  watch: async () => (await import('./watch.js')).watch,
  webhooks: async () => (await import('./webhooks.js')).webhooks,
  registry: async () => (await import('./registry.js')).registry,
  sim: async () => (await import('./sim.js')).simCommand,
  completion: async () => (await import('./completion.js')).completionCommand(loadCommands)
}

/** Every command's name, in the order of the top-level help. */
export const commandNames: readonly string[] = Object.keys(table)

/** The command called `name`, loaded; undefined if there is none. */
export async function findCommand (name: string): Promise<Command | undefined> {
  return Object.hasOwn(table, name) ? await table[name]() : undefined
}

/** Every command, loaded (for the top-level help and shell completion). */
export async function loadCommands (): Promise<Command[]> {
  return await Promise.all(commandNames.map(async name => await table[name]()))
}
