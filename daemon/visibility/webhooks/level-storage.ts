// Webhook deliveries in the daemon's LevelDB store, in a key space of their own
// (LevelStore.space('webhooks'): keys `!webhooks!…`, beside the replica's,
// which loadSnapshot and check never read):
//   r!<hook>!<seq, 12 digits>  → the delivery's record, JSON
//   b!<hook>!<seq, 12 digits>  → its body, the exact bytes POSTed
//   meta                       → { lastSeq, nonce }
// Why LevelDB and not a file per webhook: a batch is atomic across a crash
// (one write-ahead-log record), so a delivery's record, its body and the
// sequence counter never disagree; keys sort by sequence, so a webhook's queue
// loads in order; deleted entries are compacted by LevelDB. A file per webhook
// would need its own framing, torn-tail recovery and compaction for the same.
// Every write is fsynced: a delivery is durable before its first attempt.

import type { KeySpace } from '../../store/level-store.js'
import type { DeliveryMeta, DeliveryOp, DeliveryStorage } from './storage.js'
import type { DeliveryRecord } from './types.js'

const recordKey = (hook: string, seq: number): string => `r!${hook}!${String(seq).padStart(12, '0')}`
const bodyKey = (hook: string, seq: number): string => `b!${hook}!${String(seq).padStart(12, '0')}`

export class LevelDeliveryStorage implements DeliveryStorage {
  private readonly db: KeySpace
  private readonly sync: boolean

  /** `sync`: fsync every write (default true). */
  constructor (db: KeySpace, sync = true) {
    this.db = db
    this.sync = sync
  }

  async load (): Promise<{ records: DeliveryRecord[], meta: DeliveryMeta | undefined }> {
    const records: DeliveryRecord[] = []
    for await (const [, value] of this.db.iterator({ gt: 'r!', lt: 'r"' })) records.push(JSON.parse(value) as DeliveryRecord)
    const meta = await this.db.get('meta')
    return { records, meta: meta === undefined ? undefined : JSON.parse(meta) as DeliveryMeta }
  }

  async body (hook: string, seq: number): Promise<string | undefined> {
    return await this.db.get(bodyKey(hook, seq))
  }

  async write (ops: readonly DeliveryOp[]): Promise<void> {
    const batch: Array<{ type: 'put', key: string, value: string } | { type: 'del', key: string }> = []
    for (const o of ops) {
      switch (o.op) {
        case 'put': batch.push({ type: 'put', key: recordKey(o.record.hook, o.record.seq), value: JSON.stringify(o.record) }); break
        case 'body': batch.push({ type: 'put', key: bodyKey(o.hook, o.seq), value: o.body }); break
        case 'del': batch.push({ type: 'del', key: recordKey(o.hook, o.seq) }, { type: 'del', key: bodyKey(o.hook, o.seq) }); break
        case 'meta': batch.push({ type: 'put', key: 'meta', value: JSON.stringify(o.meta) }); break
      }
    }
    if (batch.length > 0) await this.db.batch(batch, { sync: this.sync })
  }
}
