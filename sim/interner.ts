// Dense numbers for strings that every node of a run shares (keys, author
// ids). One interner per cluster: its map is small and hot, so each node can
// keep per-key and per-author state in plain arrays indexed by these numbers
// instead of a map of its own that is cold whenever a node's turn comes.

export class Interner {
  private readonly ids = new Map<string, number>()
  private readonly names: string[] = []

  /** The last string looked up and its number: a batch names the same key or author several times in a row. */
  private lastName: string | undefined
  private lastId = -1

  /** The number of `s`, given one if it has none yet. */
  id (s: string): number {
    if (s === this.lastName) return this.lastId
    let i = this.ids.get(s)
    if (i === undefined) {
      i = this.names.length
      this.names.push(s)
      this.ids.set(s, i)
    }
    this.lastName = s
    this.lastId = i
    return i
  }

  /** The number of `s`, or -1 if it was never given one. */
  find (s: string): number {
    return this.ids.get(s) ?? -1
  }

  name (i: number): string {
    return this.names[i] as string
  }
}
