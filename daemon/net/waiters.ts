// Callers waiting for a peer's session to come up (Mesh.waitForPeer), each with its own deadline.

import { MycelError } from '../../protocol/errors.js'

interface Waiter {
  resolve: () => void
  reject: (err: Error) => void
}

export class Waiters {
  private readonly byPeer = new Map<string, Set<Waiter>>()

  async wait (peer: string, timeoutMs: number): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>()
    const set = this.byPeer.get(peer) ?? new Set<Waiter>()
    this.byPeer.set(peer, set)
    const timer = setTimeout(() => {
      this.remove(peer, waiter)
      reject(new MycelError('TIMEOUT', `no session with ${peer} within ${timeoutMs} ms`))
    }, timeoutMs)
    const waiter: Waiter = {
      resolve: () => { clearTimeout(timer); resolve() },
      reject: (err) => { clearTimeout(timer); reject(err) }
    }
    set.add(waiter)
    return await promise
  }

  wake (peer: string): void {
    const set = this.byPeer.get(peer)
    this.byPeer.delete(peer)
    for (const waiter of set ?? []) waiter.resolve()
  }

  failAll (err: Error): void {
    const all = [...this.byPeer.values()]
    this.byPeer.clear()
    for (const set of all) for (const waiter of set) waiter.reject(err)
  }

  private remove (peer: string, waiter: Waiter): void {
    const set = this.byPeer.get(peer)
    set?.delete(waiter)
    if (set?.size === 0) this.byPeer.delete(peer)
  }
}
