// Idle strangers against a real daemon (issue #17, attack 1): many libp2p connections from peers that
// never prove membership, then a new site's `daemon --join`. Measures whether the join succeeds and
// how long the strangers stay connected.

import type { Libp2p } from 'libp2p'
import { Node, until } from '../../test/helpers/daemons.js'
import { idleStranger } from '../../test/helpers/raw-peer.js'
import type { Figures, Say } from './floods.js'

export async function strangers (say: Say, count = 20, watchMs = 15_000): Promise<Figures> {
  const a = await Node.create({ logLevel: 'warn' })
  const joiner = await Node.create({ logLevel: 'warn' })
  const idle: Libp2p[] = []
  try {
    await a.start()
    const addr = a.ready?.listen[0] ?? ''
    for (let i = 0; i < count; i++) {
      try {
        idle.push(await idleStranger(addr))
      } catch (err) {
        say(`stranger ${i} could not connect: ${(err as Error).message}`)
      }
    }
    const connected = (): number => idle.filter(n => n.getConnections().length > 0).length
    say(`${connected()} of ${count} strangers connected`)
    const t0 = performance.now()
    let joined = true
    let why = ''
    try {
      await joiner.start(['--join', await a.invite()], 40_000)
    } catch (err) {
      joined = false
      why = (err as Error).message.split('\n').slice(0, 3).join(' ')
    }
    const joinMs = Math.round(performance.now() - t0)
    const t1 = performance.now()
    await until('every stranger to be disconnected', () => connected() === 0, watchMs).catch(() => {})
    return { strangers: count, joined, joinMs, why, strangersLeftAfterWatch: connected(), allGoneWithinMs: connected() === 0 ? Math.round(performance.now() - t1) : -1 }
  } finally {
    await Promise.all(idle.map(async n => { await n.stop() }))
    await joiner.destroy()
    await a.destroy()
  }
}
