// The command registry. Each command lives in its own file.
import type { Command } from '../command.js'
import { cat } from './cat.js'
import { daemon } from './daemon.js'
import { fetch } from './fetch.js'
import { invite } from './invite.js'
import { ls } from './ls.js'
import { peers } from './peers.js'
import { publish } from './publish.js'
import { rm } from './rm.js'
import { simCommand } from './sim.js'
import { status } from './status.js'
import { watch } from './watch.js'
import { where } from './where.js'

export const commands: Command[] = [
  daemon,
  invite,
  publish,
  fetch,
  cat,
  ls,
  rm,
  status,
  peers,
  where,
  watch,
  simCommand
]

export function findCommand (name: string): Command | undefined {
  return commands.find(c => c.name === name)
}
