// The data dir holds the node's private key (identity.key), the API's bearer token (api.token) and its
// store (the federation's events, grants included): nobody but the user running the daemon may read
// any of it. At every start the daemon makes it so, whatever was there before (issue #17: a dir the
// user had made with `mkdir`, mode 0755, was used as it was, and store/ was world-readable):
//
//   <dir> and store/ (and blobs/) → 0700;  identity.key, api.token, api.json, peers.json,
//   config.json and every file in store/ → 0600.
//
// Why fix rather than refuse: a dir made by `mkdir` gets the umask's mode (0755 on most systems), so
// refusing would stop nearly everyone who prepares a dir for the daemon, only to make them run the
// chmod the daemon can run itself; the daemon owns the dir and what it puts in it. It refuses only
// what it cannot fix — a path that is not a directory, or a dir it may not chmod (another user's) —
// with the path and the command that fixes it. What it tightened is logged, once, at start.

import type { Stats } from 'node:fs'
import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { MycelError } from '../protocol/errors.js'

const PRIVATE_DIR = 0o700
const PRIVATE_FILE = 0o600

/** Directories under the data dir made 0700 (when present), and files made 0600. */
const PRIVATE_DIRS = ['store', 'blobs']
const PRIVATE_FILES = ['identity.key', 'api.token', 'api.json', 'peers.json', 'config.json']

export interface Tightened {
  path: string
  /** Octal modes, e.g. '755' → '700'. */
  from: string
  to: string
}

/** Creates the dir if need be and makes it and its secrets private; returns what it changed. USAGE if it cannot. */
export async function securePrivateDir (dir: string): Promise<Tightened[]> {
  const notDir = (): MycelError => MycelError.usage(`the data dir ${dir} is not a directory; choose another --dir`)
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR }).catch(err => {
    throw (err as NodeJS.ErrnoException).code === 'EEXIST' || (err as NodeJS.ErrnoException).code === 'ENOTDIR' ? notDir() : err
  })
  const info = await stat(dir)
  if (!info.isDirectory()) throw notDir()
  const changed: Tightened[] = []
  await tighten(dir, info.mode, PRIVATE_DIR, changed)
  for (const name of PRIVATE_DIRS) {
    const path = join(dir, name)
    const sub = await lstatIfAny(path)
    if (sub === undefined || !sub.isDirectory()) continue
    await tighten(path, sub.mode, PRIVATE_DIR, changed)
  }
  for (const name of PRIVATE_FILES) {
    const path = join(dir, name)
    const file = await lstatIfAny(path)
    if (file?.isFile() === true) await tighten(path, file.mode, PRIVATE_FILE, changed)
  }
  const store = join(dir, 'store')
  for (const name of await readdir(store).catch(() => [] as string[])) {
    const path = join(store, name)
    const file = await lstatIfAny(path)
    if (file?.isFile() === true) await tighten(path, file.mode, PRIVATE_FILE, changed)
  }
  return changed
}

/** chmod to `mode` if group or others have any access; USAGE naming the path and the fix if it fails. */
async function tighten (path: string, current: number, mode: number, changed: Tightened[]): Promise<void> {
  if ((current & 0o077) === 0) return
  try {
    await chmod(path, mode)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err)
    throw MycelError.usage(`${path} is readable by other users (mode ${octal(current)}) and the daemon cannot make it private (${code}); fix: \`chown -R "$(id -un)" ${path} && chmod ${octal(mode)} ${path}\`, or choose another --dir`)
  }
  changed.push({ path, from: octal(current), to: octal(mode) })
}

async function lstatIfAny (path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

function octal (mode: number): string {
  return (mode & 0o777).toString(8).padStart(3, '0')
}
