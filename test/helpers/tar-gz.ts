// A gzip'd ustar archive of regular files, the format of an npm tarball
// (`npm pack`): one 512-byte header per file, its bytes padded to 512, two
// zero blocks at the end. Every header field is fixed (mode, owner, npm pack's
// mtime) and Node's gzip writes no time, so the same files give the same bytes.

import { gzipSync } from 'node:zlib'

const BLOCK = 512
/** ustar's name field; longer paths would need its prefix field, which no bench package needs. */
const NAME_BYTES_MAX = 100
/** The mtime `npm pack` gives every entry (1985-10-26 08:15 UTC), for reproducible tarballs. */
const NPM_PACK_MTIME_S = 499_162_500

export interface TarFile { path: string, content: Buffer }

export function tarGz (files: TarFile[]): Buffer {
  const parts: Buffer[] = []
  for (const f of files) {
    parts.push(header(f.path, f.content.byteLength), f.content)
    const pad = (BLOCK - f.content.byteLength % BLOCK) % BLOCK
    if (pad > 0) parts.push(Buffer.alloc(pad))
  }
  parts.push(Buffer.alloc(2 * BLOCK))
  return gzipSync(Buffer.concat(parts))
}

function header (path: string, size: number): Buffer {
  if (Buffer.byteLength(path) > NAME_BYTES_MAX) throw new Error(`tar: path longer than ${NAME_BYTES_MAX} bytes: ${path}`)
  const h = Buffer.alloc(BLOCK)
  h.write(path, 0, NAME_BYTES_MAX, 'utf8')
  octal(h, 100, 8, 0o644) // mode
  octal(h, 108, 8, 0) // uid
  octal(h, 116, 8, 0) // gid
  octal(h, 124, 12, size)
  octal(h, 136, 12, NPM_PACK_MTIME_S)
  h.write('0', 156, 'latin1') // a regular file
  h.write('ustar\0' + '00', 257, 'latin1')
  // The checksum is the sum of the header's bytes with its own field read as spaces.
  h.fill(0x20, 148, 156)
  const sum = h.reduce((a, b) => a + b, 0)
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1')
  return h
}

/** `n` in octal, zero-padded, NUL-terminated, filling `width` bytes at `at`. */
function octal (h: Buffer, at: number, width: number, n: number): void {
  h.write(n.toString(8).padStart(width - 1, '0') + '\0', at, width, 'latin1')
}
