// The tasks build's settings (manifest.json beside this file), with overrides from buildTasks' options.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TASKS_DIR } from './taxonomy.js';

export interface Settings {
  mix: Record<string, number>;
  mixSlack?: number;
  maxExampleChars: number;
  maxFileChars: number;
  /** files whose grammar leaves more than this share of characters in ERROR nodes are dropped */
  maxErrorShare: number;
  shardMaxBytes: number;
  xzLevel?: number;
  chunkRecords: number;
  generation: {
    continuationEveryLines: number;
    maxContinuationsPerFile: number;
    minAnswerLines: number;
    maxAnswerLines: number;
    maxAnswerChars: number;
    maxPromptChars: number;
    maxDocFunctionsPerFile: number;
    maxBodyLines: number;
    maxBodyChars: number;
    docToFunctionShare: number;
  };
  fix: {
    maxFunctionsPerFile: number;
    minLines: number;
    maxLines: number;
    preferredLines: [number, number];
    maxChars: number;
    docShare: number;
    errorTypeWeights: Record<string, number>;
    applicability: Record<string, number>;
    minBugClasses: number;
    /** share of fixed functions that also give a no-fix example (error_type none, the answer unchanged) */
    noFixShare?: number;
  };
  explanation: { maxPerFile: number; minDocChars: number; maxDocChars: number; maxFunctionChars: number };
}

export function loadSettings(overrides: Partial<Settings> = {}): Settings {
  const base = JSON.parse(readFileSync(join(TASKS_DIR, 'manifest.json'), 'utf8')) as Settings & { $comment?: string };
  delete base.$comment;
  return { ...base, ...overrides } as Settings;
}
