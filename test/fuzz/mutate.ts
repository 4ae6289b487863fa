// fast-check arbitraries for hostile bytes: wholly random input, and valid
// input mutated the ways that reach deeper into a parser (a flipped byte, a
// truncation, trailing junk, a duplicated slice, a varint-sized splice).

import fc from 'fast-check'

export function mutated (base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = base.length
  return fc.oneof(
    fc.record({ i: fc.nat({ max: Math.max(0, n - 1) }), b: fc.integer({ min: 0, max: 255 }) }).map(({ i, b }) => {
      const out = Uint8Array.from(base)
      if (n > 0) out[i] = b
      return out
    }),
    fc.nat({ max: n }).map(k => base.subarray(0, k)),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map(junk => concat(base, junk)),
    fc.record({ i: fc.nat({ max: n }), len: fc.nat({ max: 32 }) }).map(({ i, len }) => concat(base.subarray(0, i), base.subarray(i, i + len), base.subarray(i))),
    fc.record({ i: fc.nat({ max: n }), ins: fc.uint8Array({ minLength: 1, maxLength: 8 }) }).map(({ i, ins }) => concat(base.subarray(0, i), ins, base.subarray(i)))
  )
}

/** Random bytes, or one of the valid bases mutated. */
export function hostile (bases: Uint8Array[], maxLength = 2048): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength }),
    fc.constantFrom(...bases).chain(b => mutated(b))
  )
}

export function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}
