// Types of scripts/package.mjs's exports (used by test/extension/manifest.test.ts).
export function markersSchema(taxonomy: unknown, base: Record<string, unknown>): Record<string, any>;
export function stagedManifest(pkg: Record<string, any>, taxonomy: unknown): Record<string, any>;
