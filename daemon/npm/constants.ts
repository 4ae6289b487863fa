// Every limit of the npm registry, together, each with why it is what it is.
// A site's npm registry faces clients it does not control: a publish body is
// JSON held in memory, so its size, and how many are read at once, stop here.

const MiB = 1024 * 1024

/** Longest package name: npm's own rule (validate-npm-package-name). */
export const MAX_NAME_CHARS = 214

/** Longest version string; semver sets none, npm's registry refuses far shorter in practice. */
export const MAX_VERSION_CHARS = 256

/** Longest dist-tag. */
export const MAX_TAG_CHARS = 64

/**
 * Default largest publish body. npm sends the tarball base64-encoded inside the
 * JSON (4/3 of its size), and the body is parsed in memory, so this bounds a
 * publish's memory: 64 MiB of body is a tarball of about 48 MiB (npm's public
 * registry does not take much larger packages either).
 */
export const DEFAULT_MAX_PUBLISH_BYTES = 64 * MiB

/** Publish bodies read at once; a further one waits its turn, so memory stays under this × the body limit. */
export const MAX_CONCURRENT_PUBLISHES = 4

/** Largest other request body (a dist-tag's version, a deprecation's packument): metadata only. */
export const MAX_METADATA_BODY_BYTES = 4 * MiB

/**
 * Largest version manifest kept, after its readme is dropped. It travels in
 * the version key's props, in chunks of ≤ 1000 bytes (a prop value is ≤ 1024
 * bytes), and a mycel event is at most 16 KiB encoded (protocol/limits.ts):
 * 12 KiB leaves room for the key, the hashes and the event's own fields.
 * Typical package.json files are 1-3 KiB.
 */
export const MAX_MANIFEST_BYTES = 12 * 1024

/** Bytes of manifest JSON per prop. */
export const MANIFEST_CHUNK_BYTES = 1000

/** Longest deprecation message (one prop). */
export const MAX_DEPRECATION_BYTES = 1000

/** Versions one publish body may carry (npm sends one). */
export const MAX_VERSIONS_PER_PUBLISH = 16

/** Keys of one package read to build its packument: versions, tags and deprecations together. */
export const MAX_PACKAGE_KEYS = 20_000

/** Keys a search scans at most, and the most results it returns. */
export const MAX_SEARCH_SCAN_KEYS = 200_000
export const MAX_SEARCH_RESULTS = 250

/** Connections at once (like the container registry's). */
export const MAX_CONNECTIONS = 512

/** A pull waits this long for bytes held elsewhere before it answers 503. */
export const TARBALL_FETCH_WAIT_MS = 120_000
