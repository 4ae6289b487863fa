// Keeping a decoded event small (issue #25: a key's version costs ~2 KB in memory, four fifths of it
// V8's objects around small byte arrays, not the bytes). Three things every decoded event repeats:
//
//   - its 32-byte fields (digest, manifest, prev) decoded as arrays that own a copy of their bytes,
//     ~240 bytes each with V8's ArrayBuffer and backing store, when the same bytes sit in the event's
//     own envelope: a view into it is ~100 bytes, and the envelope lives exactly as long;
//   - its author, a fresh string per event though a federation has a few dozen authors;
//   - an empty `props`, a fresh object per put.
//
// Each helper returns a value equal to its input; only where the memory lies changes.

/** Authors interned at most: a federation's members are far fewer; past it strings are kept as they come. */
const MAX_INTERNED_AUTHORS = 4096
const authors = new Map<string, string>()

/** One string per author across every event decoded. */
export function internAuthor (author: string): string {
  const had = authors.get(author)
  if (had !== undefined) return had
  if (authors.size < MAX_INTERNED_AUTHORS) authors.set(author, author)
  return author
}

/** The props of every put that has none. Frozen: a decoded event's props are never written to. */
export const EMPTY_PROPS: Record<string, string> = Object.freeze({}) as Record<string, string>

/** CBOR's header of a 32-byte byte string (major type 2, one-byte length 32). */
const BYTES32 = [0x58, 0x20]

/**
 * A view into `container` holding the same 32 bytes as `copy` (where the CBOR encoder wrote them), or
 * `copy` itself if they are not there as a 32-byte byte string.
 */
export function viewOf32 (container: Uint8Array, copy: Uint8Array): Uint8Array {
  if (copy.length !== 32) return copy
  const last = container.length - 34
  outer: for (let i = 0; i <= last; i++) {
    if (container[i] !== BYTES32[0] || container[i + 1] !== BYTES32[1]) continue
    for (let j = 0; j < 32; j++) if (container[i + 2 + j] !== copy[j]) continue outer
    return container.subarray(i + 2, i + 34)
  }
  return copy
}
