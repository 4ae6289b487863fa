// A body that carries rules — PUT /v1/rules, POST /v1/retention/plan — as JSON {"rules": [...]} (and,
// where `bareList`, the list alone), bounded as it arrives. The rules themselves are checked by
// protocol/rules.ts checkRules (clear USAGE errors naming the rule and field).
import { MycelError } from '../../protocol/errors.js'
import { MAX_EVENT_BYTES } from '../../protocol/limits.js'

/** A rule set is one event: its JSON is bounded by the same figure, with room for spacing. */
const MAX_RULES_BODY_BYTES = 4 * MAX_EVENT_BYTES

export async function readRulesBody (req: AsyncIterable<Uint8Array>, opts: { bareList?: boolean } = {}): Promise<unknown> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const chunk of req) {
    n += chunk.length
    if (n > MAX_RULES_BODY_BYTES) throw MycelError.tooLarge('rules body', n, MAX_RULES_BODY_BYTES)
    chunks.push(Buffer.from(chunk))
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (err) {
    throw MycelError.usage(`the rules body is not valid JSON: ${(err as Error).message}`)
  }
  if (opts.bareList === true && Array.isArray(parsed)) return parsed
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('rules' in parsed)) {
    throw MycelError.usage('the rules body must be a JSON object {"rules": [...]}')
  }
  return (parsed as { rules: unknown }).rules
}
