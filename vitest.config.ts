// The test suite by kind (test/README.md): `npx vitest run --project unit` runs the fast in-process tests
// alone (seconds); `npm test` builds (integration tests run the compiled CLI) and runs every project.
import { defineConfig } from 'vitest/config'

const shared = {
  exclude: ['dist/**', 'node_modules/**'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks' as const
}

/** Integration tests that run by themselves (see the project below). */
const ALONE = ['test/integration/abuse/floods.test.ts', 'test/integration/registry/streaming.test.ts']

export default defineConfig({
  test: {
    ...shared,
    projects: [
      { test: { ...shared, name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { ...shared, name: 'compliance', include: ['test/compliance/**/*.test.ts'] } },
      { test: { ...shared, name: 'sim', include: ['test/sim/**/*.test.ts'] } },
      { test: { ...shared, name: 'fuzz', include: ['test/fuzz/**/*.test.ts'] } },
      // Two files at a time, whatever the machine: an integration test mostly waits on its daemons, so two
      // halve the wall time on a 2-core box (453 → 269 s measured), and more would starve the daemons of
      // CPU on a small or busy machine, where every wait in these tests is on an observed state anyway.
      // A group of its own (vitest wants one per worker count), after the fast projects.
      { test: { ...shared, name: 'integration', include: ['test/integration/**/*.test.ts'], exclude: [...shared.exclude, ...ALONE], maxWorkers: 2, sequence: { groupOrder: 1 } } },
      // Tests whose promise is a latency under load (the API answering within its bound during a flood, a
      // registry pull's first byte): run last and one at a time, so the load is theirs, not another file's
      // (a flood's status p90 read 202 ms against its 200 ms bound once, beside another file and a CPU hog).
      { test: { ...shared, name: 'integration-alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 2 } } }
    ]
  }
})
