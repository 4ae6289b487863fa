// Where an invite token comes from. On the command line (`--join TOKEN`) it shows in `ps` and in shell
// history, and a token is a bearer secret until it is spent; so it can also come from a file
// (`--join-file FILE`, e.g. one that `mycel invite > FILE` wrote and scp carried) or from stdin
// (`--join -`, `mycel join -`). Surrounding whitespace is dropped; the token's own check comes later.
import { readFile } from 'node:fs/promises'
import { MycelError } from '../protocol/errors.js'

/** A token is a few hundred bytes; more than this is not a token file. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024

export interface JoinSources {
  /** `--join`: the token itself, or '-' for stdin. */
  join?: string
  /** `--join-file`: a file holding the token. */
  joinFile?: string
}

export async function readJoinToken (sources: JoinSources, stdin: NodeJS.ReadableStream): Promise<string | undefined> {
  const { join, joinFile } = sources
  if (join !== undefined && joinFile !== undefined) throw MycelError.usage('give --join or --join-file, not both')
  if (joinFile !== undefined) return nonEmpty(await readTokenFile(joinFile), `--join-file ${joinFile}`)
  if (join === '-') return nonEmpty(await readAll(stdin, 'stdin'), 'stdin')
  return join
}

async function readTokenFile (path: string): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (err) {
    throw MycelError.usage(`cannot read the token file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  if (bytes.length > MAX_TOKEN_FILE_BYTES) throw MycelError.usage(`${path} is ${bytes.length} bytes: not an invite token`)
  return bytes.toString('utf8')
}

export async function readAll (stream: NodeJS.ReadableStream, what: string): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += b.length
    if (size > MAX_TOKEN_FILE_BYTES) throw MycelError.usage(`more than ${MAX_TOKEN_FILE_BYTES} bytes on ${what}: not an invite token`)
    chunks.push(b)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function nonEmpty (text: string, from: string): string {
  const token = text.trim()
  if (token === '') throw MycelError.usage(`no invite token in ${from}`)
  return token
}
