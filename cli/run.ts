// Parses argv, dispatches to a command, and maps errors to exit codes — the one
// top-level catch. Kept apart from main.ts so tests can run the CLI in-process.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { splitArgv } from './argv.js'
import { GLOBAL_OPTIONS, usage, type Command, type Writer } from './command.js'
import { findCommand, loadCommands } from './commands/index.js'
import { EXIT, exitCodeFor } from './exit-codes.js'
import { isMycelError } from '../protocol/errors.js'
import { VERSION } from './version.js'

export interface RunIo {
  out: Writer
  err: Writer
  env: NodeJS.ProcessEnv
  /** stdout is a terminal. */
  isTTY: boolean
  /** stderr is a terminal (progress lines). Default false. */
  errIsTTY?: boolean
  /** Default process.stdin. */
  stdin?: NodeJS.ReadableStream
}

type Values = Record<string, string | boolean | string[] | undefined>

/** The top-level help: it loads every command (for its summary), which only help and mistakes pay for. */
export async function topLevelHelp (): Promise<string> {
  const commands = await loadCommands()
  const width = Math.max(...commands.map(c => c.name.length), 8)
  return [
    `mycel ${VERSION}: peer-to-peer mesh replication of artifacts`,
    '',
    'usage: mycel [--dir DIR] [--json] <command> [options]',
    '',
    'commands:',
    ...commands.map(c => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'global options (before or after the command): --dir DIR, --json, --help, --version',
    "Run 'mycel <command> --help' for a command's options."
  ].join('\n') + '\n'
}

export async function run (argv: string[], io: RunIo): Promise<number> {
  const split = splitArgv(argv)
  let globals: Values
  try {
    if (split.problem !== undefined) throw new Error(split.problem)
    globals = parseArgs({ args: split.before, options: GLOBAL_OPTIONS as ParseArgsConfig['options'], strict: true }).values
  } catch (err) {
    io.err.write(`mycel: ${(err as Error).message}\n\n${await topLevelHelp()}`)
    return EXIT.USAGE
  }
  const name = split.command
  if (name === undefined) {
    if (globals.version === true) return version(io)
    // Asked for: help on stdout, success. Not asked for (bare `mycel`): a usage error, as git and docker do.
    if (globals.help === true) { io.out.write(await topLevelHelp()); return EXIT.OK }
    io.err.write(await topLevelHelp())
    return EXIT.USAGE
  }
  if (name === 'help') return await help(split.rest[0], io)
  if (name === 'version') return version(io)
  const command = await findCommand(name)
  if (command === undefined) {
    io.err.write(`mycel: unknown command '${name}'\n\n${await topLevelHelp()}`)
    return EXIT.USAGE
  }
  let parsed: { values: Values, positionals: string[] }
  try {
    parsed = parseArgs({
      args: split.rest,
      options: { ...command.options, ...GLOBAL_OPTIONS } as ParseArgsConfig['options'],
      allowPositionals: true,
      strict: true
    })
  } catch (err) {
    io.err.write(`mycel ${command.name}: ${(err as Error).message}\n\n${usage(command)}`)
    return EXIT.USAGE
  }
  // A global option after the command wins over the same one before it (the later word counts).
  const values: Values = { ...globals, ...definedOnly(parsed.values) }
  if (values.help === true) {
    io.out.write(usage(command))
    return EXIT.OK
  }
  if (values.version === true) return version(io)
  const required = (command.positionals ?? []).filter(p => p.optional !== true).length
  if (parsed.positionals.length < required) {
    io.err.write(`mycel ${command.name}: missing ${command.positionals?.[parsed.positionals.length]?.name ?? 'argument'}\n\n${usage(command)}`)
    return EXIT.USAGE
  }
  try {
    return await command.run({ options: values, positionals: parsed.positionals, ...io })
  } catch (err) {
    return reportError(command, err, io, values.json === true)
  }
}

function version (io: RunIo): number {
  io.out.write(`${VERSION}\n`)
  return EXIT.OK
}

/** `mycel help [COMMAND]`: asked for, so on stdout. */
async function help (name: string | undefined, io: RunIo): Promise<number> {
  if (name === undefined) { io.out.write(await topLevelHelp()); return EXIT.OK }
  const command = await findCommand(name)
  if (command === undefined) {
    io.err.write(`mycel help: unknown command '${name}'\n\n${await topLevelHelp()}`)
    return EXIT.USAGE
  }
  io.out.write(usage(command))
  return EXIT.OK
}

function definedOnly (values: Values): Values {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined))
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
