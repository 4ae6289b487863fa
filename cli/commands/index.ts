// The command registry. Each command lives in its own file.
import type { Command } from '../command.js'
import { simCommand } from './sim.js'

export const commands: Command[] = [simCommand]

export function findCommand (name: string): Command | undefined {
  return commands.find(c => c.name === name)
}
