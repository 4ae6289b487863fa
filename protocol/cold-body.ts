// The body of a cooled event (compact-event.ts, SealedEvent.cool): what the state reads at every apply
// stays in memory (kind, key, whether a delete is conditional); the rest is read back from the store
// when asked. A put's digest, size and props are read for a key's blob, its listing and its API
// answers, not to order versions; keeping them cost ~260 bytes a key (views into the envelope, which
// itself is ~500 bytes with its buffer).

import type { EventBody, PutBody, DeleteBody } from './event.js'

/** What a cold body reads the rest from: its event (SealedEvent.readBack). */
interface ReadsBack {
  readBack(): { body: EventBody }
}

class ColdPut {
  readonly kind = 'put' as const
  constructor (readonly key: string, private readonly of: ReadsBack) {}
  private get whole (): PutBody { return this.of.readBack().body as PutBody }
  get digest (): Uint8Array { return this.whole.digest }
  get size (): number { return this.whole.size }
  get props (): Record<string, string> { return this.whole.props }
  get manifest (): Uint8Array | undefined { return this.whole.manifest }
}

class ColdDelete {
  readonly kind = 'delete' as const
  constructor (readonly key: string, private readonly conditional: boolean, private readonly of: ReadsBack) {}
  /** Read back only for a conditional delete: isConditional() asks this of every version of a judged key. */
  get ifVersion (): Uint8Array | undefined { return this.conditional ? (this.of.readBack().body as DeleteBody).ifVersion : undefined }
}

/** The cold stand-in of a put's or delete's body (other kinds are never cooled). */
export function coldBody (of: ReadsBack, body: EventBody): EventBody {
  if (body.kind === 'put') return new ColdPut(body.key, of)
  if (body.kind === 'delete') return new ColdDelete(body.key, body.ifVersion !== undefined, of)
  throw new Error(`a ${body.kind} event is never cooled`)
}
