// The command registry. Each command lives in its own file; `completion` is handed the table itself.
import type { Command } from '../command.js'
import { cat } from './cat.js'
import { completionCommand } from './completion.js'
import { daemon } from './daemon.js'
import { fetch } from './fetch.js'
import { invite } from './invite.js'
import { join } from './join.js'
import { ls } from './ls.js'
import { members } from './members.js'
import { peers } from './peers.js'
import { sites } from './sites.js'
import { publish } from './publish.js'
import { registry } from './registry.js'
import { revoke } from './revoke.js'
import { rm } from './rm.js'
import { simCommand } from './sim.js'
import { status } from './status.js'
import { watch } from './watch.js'
import { webhooks } from './webhooks.js'
import { where } from './where.js'

export const commands: Command[] = [
  daemon,
  invite,
  join,
  publish,
  fetch,
  cat,
  ls,
  rm,
  status,
  peers,
  sites,
  members,
  revoke,
  where,
  watch,
  webhooks,
  registry,
  simCommand
]
commands.push(completionCommand(() => commands))

export function findCommand (name: string): Command | undefined {
  return commands.find(c => c.name === name)
}
