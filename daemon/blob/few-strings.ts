// A set of strings that is almost always one string: the keys naming a blob, the authors that put it.
// A `Set` costs ~150 bytes before its first member, and the blob layer keeps two per stored digest,
// which at a million keys is a third of a gigabyte (issue #25, docs/protocol.md "State at scale"). This
// holds one member as the bare string and turns into a Set only at the second.

export class FewStrings implements Iterable<string> {
  private v: string | Set<string> | undefined

  static of (members: Iterable<string>): FewStrings {
    const out = new FewStrings()
    for (const s of members) out.add(s)
    return out
  }

  get size (): number {
    return this.v === undefined ? 0 : typeof this.v === 'string' ? 1 : this.v.size
  }

  has (s: string): boolean {
    return typeof this.v === 'string' ? this.v === s : this.v?.has(s) === true
  }

  add (s: string): void {
    if (this.v === undefined) this.v = s
    else if (typeof this.v === 'string') { if (this.v !== s) this.v = new Set([this.v, s]) } else this.v.add(s)
  }

  delete (s: string): void {
    if (typeof this.v === 'string') { if (this.v === s) this.v = undefined; return }
    if (this.v === undefined) return
    this.v.delete(s)
    // Back to the bare string once one is left, so a blob that had two keys costs what one does.
    if (this.v.size === 1) this.v = this.v.values().next().value
    else if (this.v.size === 0) this.v = undefined
  }

  * [Symbol.iterator] (): Iterator<string> {
    if (typeof this.v === 'string') yield this.v
    else if (this.v !== undefined) yield * this.v
  }
}
