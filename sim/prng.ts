// The simulator's only source of randomness: sfc32 (Chris Doty-Humphrey's
// Small Fast Chaotic PRNG, 128-bit state, passes PractRand), seeded through
// splitmix32. A run has one seed; every consumer (network, workload, faults,
// each replica) takes its own stream derived from the seed and a label, so
// adding a consumer or a node does not shift the numbers the others draw —
// a change to the workload does not reshuffle the network's coin flips.

import type { Random } from '../protocol/ports.js'

const TWO_POW_32 = 4294967296

export class Prng implements Random {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor (seed: number) {
    // splitmix32 spreads a small integer seed over the whole state.
    let s = (seed >>> 0) ^ Math.floor(seed / TWO_POW_32)
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next()
    for (let i = 0; i < 12; i++) this.u32()
  }

  /** Uniform 32-bit unsigned integer. */
  u32 (): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1). */
  float (): number {
    return this.u32() / TWO_POW_32
  }

  /** Uniform integer in [0, n). */
  int (n: number): number {
    if (!(n > 0)) return 0
    return Math.floor(this.float() * n)
  }

  /** Uniform in [lo, hi). */
  range (lo: number, hi: number): number {
    return lo + (hi - lo) * this.float()
  }

  /** True with probability p. Draws nothing when p is 0, so an off knob never shifts a stream. */
  chance (p: number): boolean {
    if (p <= 0) return false
    if (p >= 1) return true
    return this.float() < p
  }

  /** Exponentially distributed with the given mean. */
  exponential (mean: number): number {
    return -mean * Math.log(1 - this.float())
  }

  pick<T> (items: readonly T[]): T {
    if (items.length === 0) throw new Error('assertion failed: pick from an empty list')
    return items[this.int(items.length)] as T
  }

  /** k distinct indexes from [0, n), in draw order (partial Fisher-Yates). */
  sample (n: number, k: number): number[] {
    const take = Math.min(n, k)
    const idx = Array.from({ length: n }, (_, i) => i)
    for (let i = 0; i < take; i++) {
      const j = i + this.int(n - i)
      const t = idx[i] as number
      idx[i] = idx[j] as number
      idx[j] = t
    }
    return idx.slice(0, take)
  }

  /** n random bytes. */
  bytes (n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.int(256)
    return out
  }

  /** An independent stream for `label`, fixed by this stream's seed alone. */
  static derive (seed: number, label: string): Prng {
    return new Prng(hashSeed(seed, label))
  }
}

/** FNV-1a over the label, mixed with the seed: a stable 32-bit child seed. */
export function hashSeed (seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32), 0x01000193)
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}
