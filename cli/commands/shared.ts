// Small helpers the API-backed commands share.
import { once } from 'node:events'
import { resolveDataDir } from '../../daemon/data-dir-path.js'
import { ApiClient } from '../api-client.js'
import type { CommandContext, Writer } from '../command.js'

export function dataDir (ctx: CommandContext): string {
  return resolveDataDir(ctx.options.dir as string | undefined, ctx.env)
}

export async function client (ctx: CommandContext): Promise<ApiClient> {
  return await ApiClient.open(dataDir(ctx))
}

export function printJson (ctx: CommandContext, value: unknown): void {
  ctx.out.write(JSON.stringify(value, null, 2) + '\n')
}

export function wantsJson (ctx: CommandContext): boolean {
  return ctx.options.json === true
}

/**
 * Waits until `out` has written what it holds, when it is a stream that asked us to wait (a
 * pipe to a slow reader): what a command streams then waits in the reader, not in our memory.
 */
export async function drained (out: Writer): Promise<void> {
  const stream = out as Partial<NodeJS.WritableStream & { writableNeedDrain: boolean }>
  if (stream.writableNeedDrain === true && stream.once !== undefined) await once(stream as NodeJS.WritableStream, 'drain')
}
