// A rules file as `mycel rules set FILE` and `mycel retention plan --rules FILE` take it: JSON, either
// {"rules": [...]} or the bare list (wrapped), FILE - for stdin. Only its JSON is checked here; the
// rules are the daemon's to check (protocol/rules.ts checkRules names the rule and field).
import { readFile } from 'node:fs/promises'
import { MycelError } from '../protocol/errors.js'

/** The file's rules as the API's body: the JSON text of {"rules": [...]}. */
export async function readRulesFile (file: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  let text: string
  try {
    text = file === '-' ? await readStream(stdin) : await readFile(file, 'utf8')
  } catch (err) {
    throw MycelError.usage(`cannot read ${file}: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw MycelError.usage(`${file} is not valid JSON: ${(err as Error).message}`)
  }
  return JSON.stringify(Array.isArray(parsed) ? { rules: parsed } : parsed)
}

async function readStream (stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c))
  return Buffer.concat(chunks).toString('utf8')
}
