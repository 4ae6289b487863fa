// The command registry. Each command lives in its own file.
import type { Command } from '../command.js'

export const commands: Command[] = []

export function findCommand (name: string): Command | undefined {
  return commands.find(c => c.name === name)
}
