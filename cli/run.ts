// Parses argv, dispatches to a command, and maps errors to exit codes — the one
// top-level catch. Kept apart from main.ts so tests can run the CLI in-process.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { GLOBAL_OPTIONS, usage, type Command, type Writer } from './command.js'
import { commands, findCommand } from './commands/index.js'
import { EXIT, exitCodeFor } from './exit-codes.js'
import { isMycelError } from '../protocol/errors.js'
import { VERSION } from './version.js'

export interface RunIo {
  out: Writer
  err: Writer
  env: NodeJS.ProcessEnv
  isTTY: boolean
}

export function topLevelHelp (): string {
  const width = Math.max(...commands.map(c => c.name.length), 8)
  return [
    `mycel ${VERSION}: peer-to-peer mesh replication of artifacts`,
    '',
    'usage: mycel <command> [options]',
    '',
    'commands:',
    ...commands.map(c => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'global options: --dir DIR, --json, --help, --version',
    "Run 'mycel <command> --help' for a command's options."
  ].join('\n') + '\n'
}

export async function run (argv: string[], io: RunIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out.write(topLevelHelp())
    return EXIT.OK
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.out.write(`${VERSION}\n`)
    return EXIT.OK
  }
  const command = findCommand(name)
  if (command === undefined) {
    io.err.write(`mycel: unknown command '${name}'\n\n${topLevelHelp()}`)
    return EXIT.USAGE
  }
  let parsed: { values: Record<string, string | boolean | string[] | undefined>, positionals: string[] }
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, ...GLOBAL_OPTIONS } as ParseArgsConfig['options'],
      allowPositionals: true,
      strict: true
    })
  } catch (err) {
    io.err.write(`mycel ${command.name}: ${(err as Error).message}\n\n${usage(command)}`)
    return EXIT.USAGE
  }
  if (parsed.values.help === true) {
    io.out.write(usage(command))
    return EXIT.OK
  }
  const required = (command.positionals ?? []).filter(p => p.optional !== true).length
  if (parsed.positionals.length < required) {
    io.err.write(`mycel ${command.name}: missing ${command.positionals?.[parsed.positionals.length]?.name ?? 'argument'}\n\n${usage(command)}`)
    return EXIT.USAGE
  }
  try {
    return await command.run({ options: parsed.values, positionals: parsed.positionals, ...io })
  } catch (err) {
    return reportError(command, err, io, parsed.values.json === true)
  }
}

function reportError (command: Command, err: unknown, io: RunIo, json: boolean): number {
  const code = isMycelError(err) ? err.code : (err as { code?: string })?.code
  const message = err instanceof Error ? err.message : String(err)
  const exit = exitCodeFor(code)
  if (json) {
    const details = isMycelError(err) ? err.details : undefined
    io.out.write(JSON.stringify({ error: { code: code ?? 'INTERNAL', message, ...(details ?? {}) } }) + '\n')
  } else {
    io.err.write(`mycel ${command.name}: ${message}\n`)
    // The whole usage text was printed for flag errors above; here (a bad value, config file or path)
    // it would bury the one line that matters.
    if (exit === EXIT.USAGE) io.err.write(`run 'mycel ${command.name} --help' for its usage\n`)
  }
  return exit
}
