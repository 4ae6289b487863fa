// Where `mycel fetch` writes. A regular file appears only once complete and
// verified: the bytes go to a temp file beside it, which is renamed over it at
// the end, so a failed or interrupted fetch never leaves a truncated file
// under the name a script waits for. Something that is not a regular file
// (/dev/stdout, a named pipe) is written in place: renaming over it would
// replace the device with a file. A directory gets the default name inside it.

import { crypto } from '../builtins.js'
import { constants, rmSync, type WriteStream } from 'node:fs'
import { copyFile, link, open, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { MycelError } from '../../protocol/errors.js'

export interface OutputFile {
  /** The absolute path the bytes end up under. */
  path: string
  stream: WriteStream
  /**
   * For a regular file only: instead of writing the stream, copy `source` into the temp file in the
   * kernel (a reflink where the file system has them, else copy_file_range: no bytes through this
   * process) and return the temp file's path, for the caller to check before commit().
   */
  copyFrom?: (source: string) => Promise<string>
  /**
   * For a regular file only: the temp file becomes a hard link to `source` (same file system: EXDEV
   * otherwise), so no byte is copied at all; commit() then renames it into place.
   */
  linkFrom?: (source: string) => Promise<void>
  /**
   * For a regular file only: starts making what has been written so far durable (fdatasync) while the
   * writing goes on, so that commit() has only the tail left to flush (see blob-download.ts).
   */
  syncSoFar?: () => Promise<void>
  /** Flushes and closes the stream (or takes the copy), makes the bytes durable, then puts the file in place. */
  commit: () => Promise<void>
  /** Closes the stream and removes what was written (a temp file only, never an existing file). */
  abandon: () => Promise<void>
  /** The same, at once: for a process about to exit on a signal. */
  abandonSync: () => void
}

/**
 * Opens the output before anything is asked of the daemon, so a path that cannot be written is a
 * usage error at once, not a failure after a long wait for the bytes. `defaultName` is the key's
 * last segment (or the digest); it is only called when needed.
 */
export async function openOutput (out: string | undefined, defaultName: () => string): Promise<OutputFile> {
  let path = resolve(out ?? defaultName())
  const existing = await stat(path).catch(() => undefined)
  if (existing?.isDirectory() === true) path = join(path, defaultName())
  else if (existing !== undefined && !existing.isFile()) return await inPlace(path)
  const tmp = join(dirname(path), `.${basename(path)}.mycel-${crypto().randomBytes(4).toString('hex')}`)
  const handle = await openOrExplain(tmp, 'wx', path)
  const stream = handle.createWriteStream()
  let copied = false
  return {
    path,
    stream,
    syncSoFar: async () => { await handle.datasync() },
    copyFrom: async (source: string) => {
      await end(stream) // empty, and closed: the copy replaces it
      await copyFile(source, tmp, constants.COPYFILE_FICLONE)
      copied = true
      return tmp
    },
    linkFrom: async (source: string) => {
      await end(stream)
      await rm(tmp, { force: true })
      await link(source, tmp)
      copied = true
    },
    commit: async () => {
      if (!copied) await end(stream)
      await durable(tmp)
      await rename(tmp, path)
      await durable(dirname(path)) // the rename itself
    },
    abandon: async () => { stream.destroy(); await rm(tmp, { force: true }) },
    abandonSync: () => { stream.destroy(); rmSync(tmp, { force: true }) }
  }
}

async function inPlace (path: string): Promise<OutputFile> {
  const stream = (await openOrExplain(path, 'w', path)).createWriteStream()
  return { path, stream, commit: async () => { await end(stream) }, abandon: async () => { stream.destroy() }, abandonSync: () => { stream.destroy() } }
}

async function openOrExplain (file: string, flags: string, path: string): Promise<Awaited<ReturnType<typeof open>>> {
  return await open(file, flags).catch((err: NodeJS.ErrnoException) => {
    throw MycelError.usage(`cannot write ${path}: ${err.code ?? String(err)}`)
  })
}

/** fsync: a fetch that said it was done must not lose the file to a crash of the machine a moment later. */
async function durable (path: string): Promise<void> {
  const handle = await open(path, 'r')
  try { await handle.sync() } finally { await handle.close() }
}

async function end (stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => { stream.end((err?: Error | null) => { if (err != null) reject(err); else resolve() }) })
}
