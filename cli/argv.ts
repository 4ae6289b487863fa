// Where the command is in argv, and the global options before it. Global options (--dir, --json,
// --help, --version: GLOBAL_OPTIONS) may stand before the command as well as after it, as in git,
// docker and kubectl: `mycel --dir D status` is `mycel status --dir D`. Only global options may come
// before the command, so the first word that is not one (nor a global option's value) is the command.

import { GLOBAL_OPTIONS } from './command.js'

export interface SplitArgv {
  /** The global option words before the command, e.g. ['--dir', 'D', '--json']. */
  before: string[]
  /** The command's name, if argv names one. */
  command?: string
  /** Everything after the command: its arguments and options (global ones included). */
  rest: string[]
  /** Why the words before the command cannot be read (an unknown option, a missing value). */
  problem?: string
}

export function splitArgv (argv: readonly string[]): SplitArgv {
  const before: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string
    if (word === '--') return { before, command: argv[i + 1], rest: argv.slice(i + 2) }
    if (!word.startsWith('-') || word === '-') return { before, command: word, rest: argv.slice(i + 1) }
    const spec = globalOption(word)
    if (spec === undefined) return { before, rest: [], problem: `unknown option '${word}' before the command (only --dir, --json, --help and --version may come first)` }
    before.push(word)
    if (spec.type === 'string' && !word.includes('=')) {
      const value = argv[i + 1]
      if (value === undefined) return { before, rest: [], problem: `option '${word}' needs a value` }
      before.push(value)
      i++
    }
  }
  return { before, rest: [] }
}

function globalOption (word: string): { type: 'string' | 'boolean' } | undefined {
  if (word.startsWith('--')) return GLOBAL_OPTIONS[word.slice(2).split('=')[0] as string]
  return Object.values(GLOBAL_OPTIONS).find(o => o.short !== undefined && `-${o.short}` === word)
}
