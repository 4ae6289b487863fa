// The messages between a PartialBlob (partial.ts) and its disk worker
// (chunk-worker.js): what the worker is started with, what it is asked, what
// it answers. Both sides are checked against these types by tsc.

/** What the worker is started with (workerData). */
export interface ChunkWorkerData {
  path: string
  size: number
  chunkSize: number
  /** sha-256 of every chunk, 32 bytes each, in order. */
  hashes: Uint8Array
  digest: Uint8Array
  /** Chunks kept in memory for the in-order whole-blob hash. */
  aheadMax: number
  /** Bytes written after which the file is flushed to disk in the background (see writeAll). */
  flushEveryBytes: number
}

export type ChunkWorkerRequest =
  | { seq: number, op: 'open', claimed?: Uint8Array }
  | { seq: number, op: 'chunk', index: number, data: Uint8Array }
  | { seq: number, op: 'finish' }
  | { seq: number, op: 'close' }

export interface ChunkWorkerReply {
  seq: number
  error?: string
  /** open: chunks on disk that still verify. */
  have?: Uint8Array
  /** chunk: it verified and is written; finish: the whole digest matched. */
  ok?: boolean
  free?: ArrayBuffer[]
}
