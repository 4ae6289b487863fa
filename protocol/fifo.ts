// A first-in first-out queue whose shift is O(1) at any length. An array's
// shift() moves every element once the array is large (V8 cannot trim the
// front of a large-object-space array), so draining a queue of a hundred
// thousand digests that way is quadratic: the eager mirror's queue at start
// is that size with a big catalogue. Here the front is an index, and the
// consumed prefix is dropped only once it is at least half of the array,
// so each element is moved at most once more on average.

export class Fifo<T> {
  private items: Array<T | undefined> = []
  private head = 0

  get length (): number {
    return this.items.length - this.head
  }

  push (item: T): void {
    this.items.push(item)
  }

  /** The oldest item, removed; undefined when empty. */
  shift (): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined // let it be collected now, not at the next compaction
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  clear (): void {
    this.items = []
    this.head = 0
  }
}
