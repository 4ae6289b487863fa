// `mycel publish FILE KEY` on the daemon's own machine (issue #22, publish-e2e): instead of streaming
// the file through the local API, the CLI puts it in the daemon's blob tmp dir and names it in the
// request (`PUT /v1/keys/KEY?staged=NAME`); the daemon hashes it, fsyncs it and renames it into place
// (BlobStore.putStaged). The file gets there by a copy in the kernel (a reflink where the file system
// has them, else copy_file_range), or with --link by a hard link: no copy at all, and the store then
// shares the file's inode — the user promises not to change it (a changed copy is found damaged when it
// is next served or scrubbed). Only a regular file, and only where this user may write the data dir
// (it is private to the daemon's user): anything else is streamed through the API as before.

import { link, copyFile, rm, stat } from 'node:fs/promises'
import { constants } from 'node:fs'
import { join } from 'node:path'
import { crypto } from '../builtins.js'
import { MycelError } from '../../protocol/errors.js'
import { PROGRESS_EVERY_MS } from '../progress-line.js'

export interface Staged {
  /** The name the daemon takes it by (STAGED_NAME in daemon/blob/store.ts). */
  name: string
  via: 'copy' | 'link'
  /** Removes the staged file if the daemon did not take it (a refused publish). */
  drop: () => Promise<void>
}

/**
 * Stages `file` in `dataDir`'s blob tmp dir. Undefined when it cannot be staged without --link (not a
 * regular file, another user's daemon, no blob dir): then the bytes are uploaded. With --link a failure
 * to link is an error that says why (a hard link needs one file system).
 */
export async function stageFile (dataDir: string, file: string, linkIt: boolean, onProgress?: (copied: number, total: number) => void): Promise<Staged | undefined> {
  const st = await stat(file).catch(() => undefined)
  if (st?.isFile() !== true) {
    if (linkIt) throw MycelError.usage(`--link needs a regular file; ${file} is ${st === undefined ? 'not there' : 'not one'}`)
    return undefined
  }
  const name = `staged-${crypto().randomBytes(12).toString('hex')}`
  const dest = join(dataDir, 'blobs', 'tmp', name)
  const drop = async (): Promise<void> => { await rm(dest, { force: true }) }
  // The copy is one call; its progress is the staged file's size, looked at now and then.
  const watch = onProgress === undefined || linkIt
    ? undefined
    : setInterval(() => { stat(dest).then(s => { onProgress(s.size, st.size) }, () => {}) }, PROGRESS_EVERY_MS)
  try {
    if (linkIt) await link(file, dest)
    else await copyFile(file, dest, constants.COPYFILE_FICLONE)
    clearInterval(watch)
    onProgress?.(st.size, st.size)
  } catch (err) {
    clearInterval(watch)
    await drop()
    if (!linkIt) return undefined
    const code = (err as NodeJS.ErrnoException).code
    throw MycelError.usage(code === 'EXDEV'
      ? `--link needs ${file} on the same file system as the data dir ${dataDir}; leave out --link to copy it`
      : `cannot link ${file} into ${dataDir}: ${code ?? String(err)} (--link needs write access to the daemon's data dir)`)
  }
  return { name, via: linkIt ? 'link' : 'copy', drop }
}
