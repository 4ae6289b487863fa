// Small helpers the API-backed commands share.
import { resolveDataDir } from '../../daemon/data-dir-path.js'
import { ApiClient } from '../api-client.js'
import type { CommandContext } from '../command.js'

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
