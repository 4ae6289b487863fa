// Counters of the mesh, one instance per mesh (no module state). Names say what is counted; gauges
// (current queue sizes, peers) are added by Mesh.stats() at read time.

export function newCounters () {
  return {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    decodeFailures: 0,
    oversizedFrames: 0,
    badHellos: 0,
    helloTimeouts: 0,
    refusedFederation: 0,
    refusedOther: 0,
    refusedByRemote: 0,
    dropsQueueFull: 0,
    dropsNotConnected: 0,
    dropsTooLarge: 0,
    encodeFailures: 0,
    streamsAborted: 0,
    streamErrors: 0,
    drainTimeouts: 0,
    handlerErrors: 0,
    receivePauses: 0,
    dials: 0,
    dialFailures: 0,
    outboundOpenFailures: 0,
    strikes: 0,
    /** Bad input from a peer already banned (its connection is going): counted, not struck again. */
    strikesWhileBanned: 0,
    bans: 0,
    sessionsUp: 0,
    sessionsDown: 0,
    sessionsRevoked: 0
  }
}

export type Counters = ReturnType<typeof newCounters>

interface SessionLike {
  readonly queuedMessages: number
  readonly queuedBytes: number
  readonly kind: 'inbound' | 'outbound'
  readonly stream: { readonly writeBufferLength: number, readonly readBufferLength: number }
}

/** Current queue sizes over all sessions: ours (queued) and libp2p's stream buffers under them. */
export function sessionGauges (sessions: Array<SessionLike | undefined>): Record<string, number> {
  const g = { sendQueued: 0, sendQueuedBytes: 0, receiveQueued: 0, receiveQueuedBytes: 0, streamWriteBufferedBytes: 0, streamReadBufferedBytes: 0 }
  for (const s of sessions) {
    if (s === undefined) continue
    if (s.kind === 'outbound') {
      g.sendQueued += s.queuedMessages
      g.sendQueuedBytes += s.queuedBytes
      g.streamWriteBufferedBytes += s.stream.writeBufferLength
    } else {
      g.receiveQueued += s.queuedMessages
      g.receiveQueuedBytes += s.queuedBytes
      g.streamReadBufferedBytes += s.stream.readBufferLength
    }
  }
  return g
}
