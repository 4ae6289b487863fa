// A set of strings that is almost always one string: the keys naming a blob, the authors that put it.
// A `Set` costs ~150 bytes before its first member, and the blob layer keeps two per stored digest,
// which at a million keys is a third of a gigabyte (issue #25, docs/protocol.md "State at scale"). A
// `Few` holds one member as the bare string and is a Set only from the second. It is a value, kept in
// a field of its owner (blob/refs.ts) and changed through these functions: an object around it cost
// another ~50 bytes a digest, twice.

export type Few = string | Set<string> | undefined

export function fewSize (v: Few): number {
  return v === undefined ? 0 : typeof v === 'string' ? 1 : v.size
}

export function fewHas (v: Few, s: string): boolean {
  return typeof v === 'string' ? v === s : v?.has(s) === true
}

/** `v` with `s` in it (a Set given is changed in place and returned). */
export function fewAdd (v: Few, s: string): Few {
  if (v === undefined) return s
  if (typeof v === 'string') return v === s ? v : new Set([v, s])
  v.add(s)
  return v
}

/** `v` without `s`: back to the bare string once one is left, so a blob that had two keys costs what one does. */
export function fewDelete (v: Few, s: string): Few {
  if (typeof v === 'string') return v === s ? undefined : v
  if (v === undefined) return undefined
  v.delete(s)
  if (v.size === 1) return v.values().next().value
  return v.size === 0 ? undefined : v
}

/** The members, to iterate (never change the Set this may return). */
export function fewValues (v: Few): Iterable<string> {
  return v === undefined ? [] : typeof v === 'string' ? [v] : v
}
