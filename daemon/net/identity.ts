// The node's long-lived Ed25519 identity: its libp2p peer id, and the key members know it by.
// Kept as the libp2p protobuf encoding of the private key in <dir>/identity.key, mode 0600.
// A file that exists but does not parse is an error, never silently replaced: replacing it would
// change the node's peer id and orphan its membership.

import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { MycelError } from '../../protocol/errors.js'

export const IDENTITY_FILE = 'identity.key'

export async function loadOrCreateIdentity (dir: string): Promise<PrivateKey> {
  const path = join(dir, IDENTITY_FILE)
  const existing = await readIfPresent(path)
  if (existing !== undefined) return parseIdentity(path, existing)

  await mkdir(dir, { recursive: true, mode: 0o700 })
  const key = await generateKeyPair('Ed25519')
  await writePrivate(path, privateKeyToProtobuf(key))
  return key
}

async function readIfPresent (path: string): Promise<Uint8Array | undefined> {
  try {
    const info = await stat(path)
    if (!info.isFile()) throw new MycelError('USAGE', `${path} exists and is not a file`)
    return await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

function parseIdentity (path: string, bytes: Uint8Array): PrivateKey {
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw MycelError.decode(`${path} is not a libp2p private key (left untouched)`, err)
  }
  if (key.type !== 'Ed25519') {
    throw MycelError.decode(`${path} holds a ${key.type} key; mycel identities are Ed25519 (left untouched)`)
  }
  return key
}

/** Write to a temp file created 0600, fsync, then rename: a crash leaves the old file or the new one. */
async function writePrivate (path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`
  await unlink(tmp).catch(() => {}) // a leftover from a crash; 'wx' below must create it afresh at 0600
  const handle = await open(tmp, 'wx', 0o600)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
}
