// A small seeded PRNG (mulberry32) for the chaos harness's choices: which node
// to kill, which link to cut, which key to write. Timing on real processes is
// not deterministic, so a seed replays the same sequence of choices, not the
// same interleaving.

export class Prng {
  private state: number

  constructor (seed: number) {
    this.state = (seed >>> 0) ^ 0x9e3779b9
  }

  /** Uniform in [0, 1). */
  float (): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Uniform integer in [0, n). */
  int (n: number): number {
    return Math.floor(this.float() * n)
  }

  pick<T> (items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[this.int(items.length)] as T
  }

  /** Uniform in [lo, hi). */
  range (lo: number, hi: number): number {
    return lo + this.float() * (hi - lo)
  }
}
