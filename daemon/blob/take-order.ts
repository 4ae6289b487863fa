// The order in which a fetch takes chunks. A fetch someone waits on goes in
// chunk order: the whole-blob hash, fed in chunk order, keeps up with it and
// nothing is read back at the end. A background copy (the mirror) goes through
// blocks of chunks in an order shuffled by a seed of its own (derived from the
// node's id and the digest): sites mirroring one blob at the same time then ask
// the origin for different blocks and trade the rest among themselves, instead
// of all asking for chunk 0 first and then chasing each other's frontier.
// The price is that its whole-blob hash mostly runs at the end, re-reading the
// chunks from the page cache.

export class TakeOrder {
  /** order[j]: the chunk at position j; pos[i]: the position of chunk i. Undefined: chunk order. */
  private readonly order: Uint32Array | undefined
  private readonly pos: Uint32Array | undefined

  constructor (n: number, seed?: number, blockChunks = 1) {
    if (seed === undefined || n <= 1) return
    const block = Math.max(1, blockChunks)
    const blocks = Array.from({ length: Math.ceil(n / block) }, (_, b) => b)
    const next = xorshift32(seed)
    for (let b = blocks.length - 1; b > 0; b--) {
      const k = next() % (b + 1)
      const t = blocks[b] as number
      blocks[b] = blocks[k] as number
      blocks[k] = t
    }
    this.order = new Uint32Array(n)
    this.pos = new Uint32Array(n)
    let j = 0
    for (const b of blocks) {
      for (let i = b * block; i < Math.min(n, (b + 1) * block); i++) {
        this.order[j] = i
        this.pos[i] = j++
      }
    }
  }

  /** The chunk at position j. */
  at (j: number): number {
    return this.order === undefined ? j : this.order[j] as number
  }

  /** The position of chunk i. */
  positionOf (i: number): number {
    return this.pos === undefined ? i : this.pos[i] as number
  }
}

/** A small seeded generator: an order of its own per node, the same on every run (no Math.random). */
function xorshift32 (seed: number): () => number {
  let x = (seed >>> 0) || 0x9e3779b9
  return () => {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    return x
  }
}
