// The titles of Treasure's code actions: before a fix is computed (where, and the markers the model is
// given), and after (what the edit does and what proved it, or that nothing did).
import type { FixResult } from '../engine';
import { orderedEntries, type MarkerKey, type Markers } from '../markers';
import type { CodeActionData } from '../protocol';

/** Categories worth showing in an action title. */
const TITLE_KEYS: MarkerKey[] = ['task', 'code_type', 'domain', 'error_type', 'length_bucket'];

export function actionTitle(kind: CodeActionData['kind'], given: Markers, inferred?: Markers): string {
  const head = kind === 'fix' ? 'Fix with Treasure' : 'Fix this function with Treasure';
  const shown = orderedEntries(given).filter(([k]) => TITLE_KEYS.includes(k)).map(([, v]) => v);
  let title = `${head} — ${shown.join(' · ')}`;
  if (inferred) {
    const inf = orderedEntries(inferred).filter(([k]) => TITLE_KEYS.includes(k)).map(([k, v]) => `${k}=${v}`);
    if (inf.length) title += ` (model inferred ${inf.join(', ')})`;
  } else {
    const open = TITLE_KEYS.filter((k) => given[k] === undefined);
    if (open.length) title += ` (model infers ${open.join(', ')})`;
  }
  return title;
}

/**
 * The title of a computed fix: what it does and what proved it ("Fix with Treasure — insert ':' at line 4
 * (parses: python 3.11 compile)"), or that nothing did ("unverified").
 */
export function fixTitle(kind: CodeActionData['kind'], fix: Pick<FixResult, 'verified' | 'verifiedBy' | 'label' | 'target' | 'region' | 'markers' | 'confidence' | 'contested'>): string {
  const head = kind === 'fix' ? 'Fix with Treasure' : 'Fix this function with Treasure';
  const what = fix.label ?? `rewrite lines ${fix.region.start.line + 1}-${fix.region.end.line + 1}`;
  // the markers the model was given stay visible: they are the user's control over it
  const shown = orderedEntries(fix.markers.given).filter(([k]) => TITLE_KEYS.includes(k)).map(([, v]) => v);
  const markers = shown.length ? ` · ${shown.join(' · ')}` : '';
  // tests that pass but do not decide between this edit and others that behave differently: not "proven"
  if (fix.verified && fix.verifiedBy && fix.contested) return `${head} — ${what} (passes the tests, not proven: ${fix.verifiedBy})${markers}`;
  if (fix.verified && fix.verifiedBy) return `${head} — ${what} (${fix.target === 'syntax' ? 'parses' : 'proven'}: ${fix.verifiedBy})${markers}`;
  const confidence = fix.confidence !== undefined ? `, confidence ${fix.confidence.toFixed(2)}` : '';
  return `${head} — unverified: ${what} (the model's guess${confidence}; nothing ran or parsed it)${markers}`;
}
