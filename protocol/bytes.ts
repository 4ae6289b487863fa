// Byte and string helpers with no dependencies, used by codecs and the core.

/** UTF-8 length of a string without encoding it (lone surrogates count 3, as TextEncoder writes U+FFFD). */
export function utf8Length (s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { n += 4; i++ } else n += 3
  }
  return n
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** XORs `id` into `acc` in place (an order-free digest of a set of ids: state.ts, author-log.ts). */
export function xorInto (acc: Uint8Array, id: Uint8Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] ^= id[i] ?? 0
}

/** Bytes as the characters of a one-byte string (each char code 0..255): a compact way to keep a few. */
export function textOfBytes (b: Uint8Array): string {
  // One call makes one flat string; appending a char at a time would keep a rope of cons strings.
  return String.fromCharCode.apply(null, b as unknown as number[])
}

/** The bytes textOfBytes made the string of. */
export function bytesOfText (s: string): Uint8Array {
  const b = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i)
  return b
}
