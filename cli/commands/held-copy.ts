// `mycel fetch -o FILE` of bytes the daemon already holds (issue #22, fetch-local): the CLI and the
// daemon share the machine, so the file is copied in the kernel from the daemon's verified copy — a
// reflink where the file system has them (btrfs, XFS: no bytes copied at all), else copy_file_range
// (ext4: the page cache copies, nothing passes through this process) — instead of being read by the
// daemon, sent over local HTTP and written here. The CLI still hashes the bytes it copies, so a copy
// rotted on disk is caught as it would be over HTTP. It is used only when it can work: a regular output file,
// a complete copy here, and the daemon's file readable by this user (the data dir is private, so a
// daemon run as another user is streamed over HTTP as before). Any failure falls back to HTTP.

import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { crypto } from '../builtins.js'
import type { BlobStatus } from '../../daemon/api/contract.js'
import { MycelError } from '../../protocol/errors.js'
import type { Downloaded } from './blob-download.js'
import type { OutputFile } from './output-file.js'

/** The daemon's status, narrowed to a complete copy in a file this process may copy; else undefined. */
export function heldFile (status: BlobStatus): (BlobStatus & { path: string }) | undefined {
  return status.local === 'complete' && typeof status.path === 'string' ? status as BlobStatus & { path: string } : undefined
}

/**
 * Copies the held file into `output`'s temp file and checks its digest; throws (and the caller streams
 * instead) if either fails. The copy (in libuv's thread pool and the kernel) and the hash (here) read
 * the same file at once, from the same page cache: on two cores the command takes about the longer of
 * the two, not their sum. The stored file does not change under them (blobs are written once and
 * renamed into place), so the bytes hashed are the bytes copied.
 */
export async function copyHeld (held: BlobStatus & { path: string }, output: OutputFile): Promise<Downloaded> {
  const copyFrom = output.copyFrom
  if (copyFrom === undefined) throw new Error('the output is not a regular file')
  const hash = crypto().createHash('sha256')
  let size = 0
  const hashing = (async () => {
    for await (const chunk of createReadStream(held.path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      hash.update(chunk)
      size += chunk.length
    }
  })()
  const before = await stat(held.path)
  await Promise.all([copyFrom(held.path), hashing])
  // A damaged copy is removed and fetched again by the daemon: if that happened meanwhile, the copy and
  // the hash may have read two different files. Then stream instead.
  const after = await stat(held.path)
  if (after.ino !== before.ino || after.mtimeMs !== before.mtimeMs) throw new Error("the daemon's file was replaced while it was copied")
  const digest = `sha256:${hash.digest('hex')}`
  if (size !== held.size || digest !== held.digest) throw new MycelError('INTERNAL', `the daemon's copy hashes to ${digest} (${size} bytes), not ${held.digest}`)
  return { status: held, size, holders: held.holders }
}

/**
 * The copy alone, for bytes the daemon fetched during this very command: it checked every chunk and
 * then the whole digest as it wrote that file, seconds ago, so hashing it again here would only repeat
 * its check (a quarter of the command's time for 256 MiB on this machine). Bytes held for a while are
 * hashed (copyHeld): those are the ones a disk can have rotted since. The size is still checked.
 */
export async function copyFetched (held: BlobStatus & { path: string }, output: OutputFile): Promise<Downloaded> {
  const copyFrom = output.copyFrom
  if (copyFrom === undefined) throw new Error('the output is not a regular file')
  const copied = await copyFrom(held.path)
  const size = (await stat(copied)).size
  if (size !== held.size) throw new Error(`the copy has ${size} bytes, not ${held.size}`)
  return { status: held, size, holders: held.holders }
}
