// One file per command, its flags as data; usage text is generated from them
// (npm's base-cmd pattern). Output goes through injected writers so tests can
// capture it. A command returns its exit code; thrown MycelErrors are mapped
// to exit codes in exactly one place (run.ts).

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  /** Shown in --help, e.g. 'N' for `--nodes N`. */
  value?: string
  description: string
  default?: string | boolean
  /** The values it takes, when they are a closed set (shell completion offers them). */
  choices?: readonly string[]
  /** Its value is a path: 'file' or 'dir' (shell completion offers paths). */
  path?: 'file' | 'dir'
}

export interface PositionalSpec {
  name: string
  description: string
  optional?: boolean
  /** The values it takes, when they are a closed set (shell completion offers them). */
  choices?: readonly string[]
  /** It names a file (shell completion offers paths). */
  path?: 'file' | 'dir'
}

export interface Writer {
  write(text: string): void
}

export interface CommandContext {
  options: Record<string, string | boolean | string[] | undefined>
  positionals: string[]
  out: Writer
  err: Writer
  env: NodeJS.ProcessEnv
  /** True when stdout is a terminal (what is printed there: a human sentence or only the value). */
  isTTY: boolean
  /** True when stderr is a terminal: progress lines are drawn there, so they follow this. Default false. */
  errIsTTY?: boolean
  /** Where `publish - KEY` and `--join -` read from. Default process.stdin. */
  stdin?: NodeJS.ReadableStream
}

export interface Command {
  name: string
  summary: string
  options: Record<string, OptionSpec>
  positionals?: PositionalSpec[]
  /** Extra paragraphs for --help. */
  details?: string
  run(ctx: CommandContext): Promise<number>
}

/** Flags every command accepts, before or after the command's name (argv.ts). */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  dir: { type: 'string', value: 'DIR', description: 'data directory (default: $MYCEL_DIR or ~/.mycel)', path: 'dir' },
  json: { type: 'boolean', description: 'machine-readable output' },
  help: { type: 'boolean', short: 'h', description: 'show help for this command' },
  version: { type: 'boolean', short: 'v', description: "print mycel's version" }
}

export function usage (command: Command): string {
  const pos = (command.positionals ?? []).map(p => p.optional === true ? `[${p.name}]` : p.name).join(' ')
  const lines = [`usage: mycel ${command.name}${pos === '' ? '' : ' ' + pos} [options]`, '', command.summary, '']
  if ((command.positionals ?? []).length > 0) {
    lines.push('arguments:')
    for (const p of command.positionals ?? []) lines.push(`  ${p.name.padEnd(24)} ${p.description}`)
    lines.push('')
  }
  lines.push('options:')
  const all = { ...command.options, ...GLOBAL_OPTIONS }
  for (const [name, spec] of Object.entries(all)) {
    const flag = `${spec.short !== undefined ? `-${spec.short}, ` : ''}--${name}${spec.value !== undefined ? ' ' + spec.value : ''}`
    const def = spec.default !== undefined && spec.default !== false ? ` (default: ${String(spec.default)})` : ''
    const rep = spec.multiple === true ? ' (repeatable)' : ''
    lines.push(`  ${flag.padEnd(24)} ${spec.description}${def}${rep}`)
  }
  if (command.details !== undefined) lines.push('', command.details.trim())
  return lines.join('\n') + '\n'
}
